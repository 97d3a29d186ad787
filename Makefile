# Kehu's front door. `make run` serves the app; `make test` runs the whole suite.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
KEHU := $(VENV)/bin/kehu
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install uv deps assets messages migrate demo run jobs test test-sqlite test-postgres lint format bench clean migrations-check

install: deps assets messages

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

deps: uv
	@$$(command -v uv || echo $(HOME)/.local/bin/uv) sync --frozen --quiet

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

src/kehu/static/vendor/.stamp: node_modules/.package-lock.json scripts/vendor_assets.sh
	./scripts/vendor_assets.sh
	@touch $@

assets: src/kehu/static/vendor/.stamp

messages: deps
	@$(KEHU) compilemessages -v0

migrate: install
	$(KEHU) migrate --noinput -v0

demo: migrate
	$(KEHU) demo

# The web server and, beside it, the job worker (`kehu jobs`: reminders every minute,
# the nightly jobs); one shell, so the worker stops when the server does.
run: migrate
	@marker=$${KEHU_VAR_DIR:-var}/.demo-loaded; \
	if [ ! -f "$$marker" ]; then $(KEHU) demo && touch "$$marker"; fi
	@echo
	@echo "  Kehu is at http://$(HOST):$(PORT)/  (demo login: admin / kehu-demo-2026)"
	@echo "  Background jobs run beside it; their runs: http://$(HOST):$(PORT)/django-admin/jobs/jobrun/"
	@echo
	@$(KEHU) jobs --quiet & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM HUP; \
	KEHU_DEBUG=$${KEHU_DEBUG:-true} $(KEHU) runserver $(HOST):$(PORT)

# The job worker alone (for a second terminal, or a machine that runs only jobs).
jobs: migrate
	$(KEHU) jobs

test: install test-sqlite test-postgres

test-sqlite:
	$(VENV)/bin/pytest -q

test-postgres:
	KEHU_TEST_POSTGRES=1 $(VENV)/bin/pytest -q

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(KEHU) makemigrations --check --dry-run -v0

migrations-check: deps
	$(KEHU) makemigrations --check --dry-run

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@$$(command -v uv || echo $(HOME)/.local/bin/uv) sync --frozen --quiet --group bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules src/kehu/static/vendor var/static
