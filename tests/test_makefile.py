"""`make run`: links in e-mails and feeds follow the HOST and PORT it serves on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.test_settings import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def base_url_of_make_run(*args: str, **env: str) -> str:
    """The KEHU_BASE_URL `make run` gives the server and the worker (a dry run)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    clean.update(env)
    result = subprocess.run(
        ["make", "-n", "run", *args], capture_output=True, text=True, env=clean, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    found = re.findall(r"export KEHU_BASE_URL='([^']*)'", result.stdout)
    assert len(found) == 1, result.stdout
    return found[0]


def test_make_run_links_to_where_it_serves():
    assert base_url_of_make_run() == "http://127.0.0.1:8000"
    assert base_url_of_make_run("HOST=192.168.1.20", "PORT=9000") == "http://192.168.1.20:9000"
    assert base_url_of_make_run("HOST=::1", "PORT=9001") == "http://[::1]:9001"


def test_make_run_listening_everywhere_links_by_the_machines_name():
    name = subprocess.run(
        "hostname -f 2>/dev/null || hostname", shell=True, capture_output=True, text=True
    ).stdout.strip()
    assert base_url_of_make_run("HOST=0.0.0.0", "PORT=9000") == f"http://{name}:9000"


def test_make_run_keeps_a_base_url_the_user_set():
    url = base_url_of_make_run("PORT=9000", KEHU_BASE_URL="https://crm.example.com")
    assert url == "https://crm.example.com"
