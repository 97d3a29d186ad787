"""The log: a refusal is one line, an error keeps its traceback, no line twice."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import api_client_for
from tests.test_settings import ROOT

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_logged_as_one_line(client, org, caplog):
    client.force_login(org.sales)
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("value:dashboard"))
    assert response.status_code == 403
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in refusals] == ["Forbidden (Permission denied): /value/"]
    assert refusals[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback(org, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a real bug")

    monkeypatch.setattr("kehu.api.customers.customer_list", broken)
    api = api_client_for(org.sales)
    api.client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    with caplog.at_level(logging.WARNING):
        response = api.get("/api/v1/customers")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "RuntimeError: a real bug" in caplog.text


SCRIPT = """
import logging, os, django
django.setup()
for name in ("django.request", "django.security.DisallowedHost", "kehu.jobs.schedule",
             "kehu.customers", "huey"):
    logging.getLogger(name).warning("line from %s", name)
try:
    raise RuntimeError("the cause")
except RuntimeError as exc:
    error = exc
logging.getLogger("django.security.DisallowedHost").error(
    "refused host", exc_info=error, extra={"status_code": 400})
logging.getLogger("django.request").error(
    "Internal Server Error: /x", exc_info=error, extra={"status_code": 500})
"""


@pytest.mark.parametrize("debug", ["true", "false"])
def test_each_line_is_printed_once(tmp_path, debug):
    """With the product's own logging (DEBUG on, as `make run` runs it, and off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="kehu.settings", KEHU_DEBUG=debug, KEHU_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for name in ("django.request", "django.security.DisallowedHost", "kehu.jobs.schedule"):
        assert lines.count(f"line from {name}") == 1, result.stderr
    for name in ("kehu.customers", "huey"):
        assert lines.count(f"line from {name}") == 1, result.stderr
    assert lines.count("refused host") == 1
    assert lines.count("Internal Server Error: /x") == 1
    assert lines.count("RuntimeError: the cause") == 1, result.stderr  # the 500's only
