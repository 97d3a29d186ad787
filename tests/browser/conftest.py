"""Playwright with Debian's Chromium (never `playwright install`: it downloads)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KEHU_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    from django.urls import get_resolver

    # Import every view here, not in the server's first request: on a busy machine that
    # takes longer than a page's timeout (12 s measured with the load at 9 on 2 cores).
    get_resolver().url_patterns  # noqa: B018
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def seeded_models() -> None:
    """The shipped lifecycle models and flags come from a data migration, and an earlier
    transactional test flushed every table: seed them again when they are gone (the
    journeys that read stages use it)."""
    from django.apps import apps as django_apps
    from django.db import connection

    from kehu.lifecycle.models import LifecycleModel

    if not LifecycleModel.objects.exists():
        seed = importlib.import_module("kehu.lifecycle.migrations.0002_seed").seed
        seed(django_apps, connection.schema_editor())
