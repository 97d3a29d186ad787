"""A production install as the README describes it serves pages, not 500s.

`kehu collectstatic` runs as production runs it (KEHU_ENV=production, in its own
process); then pages are rendered through the production settings (DEBUG off,
whitenoise's manifest storage over the collected files, HTTPS only, strict hosts),
so a vendored file naming a missing source map, or a template naming a static file
that does not exist, fails here instead of on a customer's server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import kehu.settings
from tests.factories import make_customer
from tests.test_settings import kehu as kehu_command

HOST = "crm.example.com"

# What belongs to this machine rather than to production: the suite's database, fast
# password hashing, the job queue's file, the key. TEMPLATES is left as the apps
# finished it (django-template-partials wraps the loaders when it starts).
NOT_TAKEN = {
    "DATABASES",
    "DATABASE_URL",
    "PASSWORD_HASHERS",
    "HUEY",
    "SECRET_KEY",
    "VAR_DIR",
    "TEMPLATES",
}


def production_settings(env: dict[str, str]) -> dict[str, Any]:
    """The settings module as it reads under the production environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location("_kehu_production", kehu.settings.__file__)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {name: value for name, value in vars(module).items() if name.isupper()}


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var = tmp_path_factory.mktemp("production-var")
    env = {
        "KEHU_ENV": "production",
        "KEHU_SECRET_KEY": "production-test-" + "k" * 40,
        "KEHU_ALLOWED_HOSTS": HOST,
        "KEHU_VAR_DIR": str(var),
    }
    result = kehu_command("collectstatic", "--noinput", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    values = production_settings(env)
    assert Path(values["STATIC_ROOT"]) == var / "static"
    return values


@pytest.fixture
def production_client(production: dict[str, Any], settings: Any) -> Client:
    for name, value in production.items():
        if name not in NOT_TAKEN and getattr(settings, name, None) != value:
            setattr(settings, name, value)
    assert settings.DEBUG is False
    assert "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    # A new client: whitenoise reads STATIC_ROOT when its middleware starts.
    return Client(HTTP_HOST=HOST)


def assert_serves_its_static_files(client: Client, html: str) -> None:
    """Every local stylesheet and script is a hashed name from the manifest, served."""
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert any(re.search(r"/bootstrap\.min\.[0-9a-f]{12}\.css$", url) for url in urls), urls
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} is not from the manifest"
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert "max-age=315360000" in response["Cache-Control"], url


def test_collectstatic_writes_the_manifest_with_the_vendored_maps(production):
    manifest = json.loads((Path(production["STATIC_ROOT"]) / "staticfiles.json").read_text())
    paths = manifest["paths"]
    for name in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.min.css.map",
        "vendor/bootstrap/bootstrap.bundle.min.js.map",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
    ):
        assert name in paths, name


@pytest.mark.django_db
def test_login_page_renders_in_production(production_client):
    response = production_client.get(reverse("accounts:login"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert_serves_its_static_files(production_client, response.content.decode())


@pytest.mark.django_db
def test_customer_page_renders_in_production(production_client, org):
    customer = make_customer(org.sales, name="生产一", phones=("13812345678",))
    production_client.force_login(org.sales)
    response = production_client.get(reverse("customers:detail", args=[customer.pk]), secure=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "生产一" in html
    assert_serves_its_static_files(production_client, html)


@pytest.mark.django_db
def test_production_redirects_plain_http_and_refuses_unknown_hosts(production_client):
    response = production_client.get(reverse("accounts:login"))
    assert response.status_code == 301
    assert response["Location"].startswith(f"https://{HOST}/")
    stranger = Client(HTTP_HOST="evil.example.com")
    assert stranger.get(reverse("accounts:login"), secure=True).status_code == 400
