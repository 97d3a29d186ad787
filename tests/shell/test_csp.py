"""The Content-Security-Policy: sent on every page, with a nonce for the inline scripts
that need one; no template has an inline handler or a script without the nonce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import kehu

SRC = Path(kehu.__file__).parent
TEMPLATES = sorted(SRC.glob("templates/**/*.html")) + sorted(SRC.glob("*/templates/**/*.html"))
TAG_CODE = sorted(SRC.glob("*/templatetags/*.py"))

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
# An attribute named on… inside a tag: onclick=, onsubmit=, onchange=, …
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.I | re.S)
NONCE = 'nonce="{{ request.csp_nonce }}"'


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.django_db
def test_every_page_sends_the_policy(client, org):
    client.force_login(org.admin)
    for url in (reverse("customers:list"), reverse("accounts:login"), "/django-admin/"):
        policy = _policy(client.get(url))
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["style-src"] == ["'self'"]  # no <style> elements (htmx's included)


@pytest.mark.django_db
def test_an_inline_script_carries_the_nonce_of_its_response(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("lifecycle:analytics"))
    html = response.content.decode()
    nonces = re.findall(r'<script nonce="([^"]+)">', html)
    assert nonces, "the analytics page draws its charts with an inline script"
    assert f"'nonce-{nonces[0]}'" in _policy(response)["script-src"]
    again = client.get(reverse("lifecycle:analytics")).content.decode()
    assert nonces[0] not in again  # a fresh nonce per response


@pytest.mark.django_db
def test_a_page_without_inline_scripts_sends_no_nonce(client, org):
    client.force_login(org.admin)
    assert "nonce" not in client.get(reverse("customers:list"))["Content-Security-Policy"]


def test_no_template_has_an_inline_handler_or_a_script_without_the_nonce():
    assert len(TEMPLATES) > 50
    problems = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(SRC)
        for attrs in SCRIPT.findall(text):
            if "src=" not in attrs and NONCE not in attrs:
                problems.append(f"{name}: <script{attrs}> has neither src nor the nonce")
        problems += [f"{name}: inline handler {m.group(0)[-40:]!r}" for m in HANDLER.finditer(text)]
        if "javascript:" in text:
            problems.append(f"{name}: a javascript: URL")
    for path in TAG_CODE:
        text = path.read_text(encoding="utf-8")
        if SCRIPT.search(text) or re.search(r"\son[a-z]+=", text):
            problems.append(f"{path.relative_to(SRC)}: writes a script or an inline handler")
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_it_looks_for():
    assert HANDLER.search('<select name="language" class="x" onchange="this.form.submit()">')
    assert HANDLER.search('<form method="post"\n  onsubmit="return confirm(\'x\')">')
    assert not HANDLER.search('<p class="one">Someone = ok</p>')
    assert SCRIPT.search("<script>") and NONCE not in "<script>"


def test_htmx_injects_no_style_and_evaluates_nothing():
    base = (SRC / "templates" / "base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base)
    assert config
    for setting in ('"includeIndicatorStyles": false', '"allowEval": false'):
        assert setting in config.group(1)
    assert ".htmx-indicator" in (SRC / "static" / "kehu" / "kehu.css").read_text()


def test_base_links_the_favicon():
    assert (SRC / "static" / "kehu" / "favicon.svg").read_text().startswith("<svg")
    base = (SRC / "templates" / "base.html").read_text(encoding="utf-8")
    assert "{% static 'kehu/favicon.svg' %}" in base and 'rel="icon"' in base
