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

# Bytecode compiled once here: a machine that sets PYTHONDONTWRITEBYTECODE (as these
# do) otherwise compiles every module again in every process — 2.6 s of each `kehu`
# command's start, each web process and job worker.
deps: uv
	@$$(command -v uv || echo $(HOME)/.local/bin/uv) sync --frozen --quiet --compile-bytecode
	@$(PY) -m compileall -q src >/dev/null

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

# Links in e-mails, survey invitations and calendar feeds point at the server `make run`
# starts (HOST, PORT), unless KEHU_BASE_URL is set. A server listening everywhere
# (0.0.0.0, ::) is linked by this machine's name; an IPv6 address goes in brackets.
LINK_HOST = $(if $(filter 0.0.0.0 :: [::],$(HOST)),$(shell hostname -f 2>/dev/null || hostname),$(if $(findstring [,$(HOST)),$(HOST),$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST))))
KEHU_BASE_URL ?= http://$(LINK_HOST):$(PORT)

# The web server and, beside it, the job worker (`kehu jobs`: reminders every minute,
# the nightly jobs); one shell, so the worker stops when the server does.
run: migrate
	@marker=$${KEHU_VAR_DIR:-var}/.demo-loaded; \
	if [ ! -f "$$marker" ]; then echo "Loading the demo data (once; about a minute)"; \
	$(KEHU) demo && touch "$$marker"; fi
	@echo
	@echo "  Kehu is at $(KEHU_BASE_URL)/  (demo login: admin / kehu-demo-2026)"
	@echo "  Background jobs run beside it; their runs: $(KEHU_BASE_URL)/django-admin/jobs/jobrun/"
	@echo
	@export KEHU_BASE_URL='$(KEHU_BASE_URL)'; \
	$(KEHU) jobs --quiet & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM HUP; \
	KEHU_DEBUG=$${KEHU_DEBUG:-true} $(KEHU) runserver $(HOST):$(PORT)

# The job worker alone (for a second terminal, or a machine that runs only jobs).
jobs: migrate
	$(KEHU) jobs

# The two suites run side by side (one per core) to keep CI well under 30 minutes;
# --output-sync keeps each suite's report in one piece.
test: install
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite:
	$(VENV)/bin/pytest -q

test-postgres:
	KEHU_TEST_POSTGRES=1 $(VENV)/bin/pytest -q

# lint-imports checks the apps' layers ([tool.importlinter] in pyproject.toml).
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo
	$(KEHU) makemigrations --check --dry-run -v0

migrations-check: deps
	$(KEHU) makemigrations --check --dry-run

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@$$(command -v uv || echo $(HOME)/.local/bin/uv) sync --frozen --quiet --compile-bytecode --group bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules src/kehu/static/vendor var/static
