"""Every page, in both languages, at a desktop and a phone width, in a real browser.

The pages are the access sweep's: every GET pattern of Django's resolver that renders
HTML, with ids from the sweep's world (``tests/sweep/world.py``), opened as an admin
and, where a salesperson may open them, as a salesperson. Each page fails on

- a horizontal scrollbar (the document wider than the window),
- a 4xx/5xx answer, of the page or of any request it makes,
- a console error or an uncaught script error,
- in English, a Chinese character outside the user data. The world's data is ASCII,
  so any CJK character in an English page is a UI string left untranslated (the
  language switcher's "简体中文" and the brand "客户 Kehu" excepted).

One browser, one context per language and width, one tab reused: pages × 4.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from kehu.messaging.placeholders import KNOWN as PLACEHOLDERS
from tests.sweep.routes import exemption, kind_for, page_routes
from tests.sweep.world import World, build_world

LANGUAGES = ("zh-hans", "en")
WIDTHS = (1280, 375)
# The language switcher's own name, the brand, and the message placeholders ({姓名}…,
# the template language's syntax in every language).
ALLOWED_CHINESE = ("简体中文", "客户 Kehu", *(f"{{{name}}}" for name in PLACEHOLDERS))
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")

# Pages reached by a link's secret rather than a login, and what the link carries, or
# named by something that is not a record (an export's list).
# ``None``: not a page (the calendar feed is an .ics file, the import template .xlsx).
TOKENS: dict[str, Callable[[World], str] | None] = {
    "surveys:answer": lambda w: w.open_survey_token,
    "messaging:unsubscribe": lambda w: _unsubscribe_token(w),
    "followups:calendar": None,
    "imports:template": None,  # the 导入模板.xlsx download of a kind
    "exports:form": lambda w: "customers",  # a list's name (the column picker)
    "loyalty:join": lambda w: _referral_code(w),  # a member's referral link
}

# Pages this test does not open, and why.
SKIPPED_NAMESPACES = {
    "admin": "Django's own admin: its layout and its translations are Django's",
}


def _referral_code(world: World) -> str:
    from django.utils import timezone

    from kehu.loyalty.ledger import members_ensure
    from kehu.loyalty.models import Member

    members_ensure([world.customer.pk], timezone.now())
    return Member.objects.get(customer=world.customer).referral_code


def _unsubscribe_token(world: World) -> str:
    from kehu.messaging.links import unsubscribe_token

    return unsubscribe_token(world.customer.pk, "email")


# Collects, in the page, every text a reader meets: the visible text, the title, what
# fields, buttons and icons say (placeholders, tooltips, labels), and the data the
# charts draw (JSON in <script type="application/json">, drawn on a canvas).
TEXTS_JS = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label],[alt]')) {
    for (const name of ['placeholder', 'title', 'aria-label', 'alt']) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  for (const el of document.querySelectorAll('input[type=submit],input[type=button]')) {
    texts.push(el.value);
  }
  for (const el of document.querySelectorAll('script[type="application/json"]')) {
    texts.push(el.textContent);
  }
  return texts.join('\\n');
}"""


@dataclass
class Visit:
    """What one page did in the browser."""

    url: str
    failed: list[str] = field(default_factory=list)  # requests answered 4xx/5xx
    errors: list[str] = field(default_factory=list)  # console errors, page errors
    pending: set[Any] = field(default_factory=set)
    fetched: bool = False  # the page asked for more (htmx)


def untranslated(text: str) -> list[str]:
    """The lines of ``text`` with a Chinese character, once the allowed ones are out."""
    for allowed in ALLOWED_CHINESE:
        text = text.replace(allowed, "")
    lines = []
    for line in text.splitlines():
        if CJK.search(line):
            lines.append(line.strip()[:120])
    return list(dict.fromkeys(lines))


def test_untranslated_finds_chinese_outside_the_allowed_strings() -> None:
    page = "Customers\n简体中文\n客户 Kehu\nSave 保存\nFirst, second\n全角，\nDear {称呼}"
    assert untranslated(page) == ["Save 保存", "全角，"]


def page_urls(world: World, role: str) -> list[str]:
    """Every page ``role`` can open: GET patterns answering HTML (not POST-only routes,
    not downloads); for an admin every one of them, for others those not refused."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users[role])
    urls = []
    for route in page_routes():
        if route.namespace in SKIPPED_NAMESPACES or route.name.endswith(":None"):
            continue
        if exemption(route.name) and route.name not in TOKENS:
            pytest.fail(f"{route.name} is exempt from the sweep: say here what it needs")
        values = {}
        for keyword in route.keywords:
            if route.name in TOKENS:
                token = TOKENS[route.name]
                if token is None:
                    break
                values[keyword] = token(world)
                continue
            kind = kind_for(route.name, keyword)
            assert kind is not None, f"{route.name}: <{keyword}> (see tests/sweep/routes.py)"
            if role in kind.outsiders:
                break  # not this role's record (an admin opens no one's notification)
            values[keyword] = kind.id_of(world)
        else:
            url = route.url(values)
            response = client.get(url)
            if response.status_code == 405:
                continue  # a POST-only route
            if not response.get("Content-Type", "").startswith("text/html"):
                continue  # a download (CSV), or a redirect to one
            if role != "admin" and response.status_code in (403, 404):
                continue  # not this role's page
            urls.append(url)
    return urls


@pytest.fixture
def world(transactional_db: None) -> Iterator[World]:
    logger = logging.getLogger("django.request")  # the refusals of the walk are expected
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield build_world(full=True)
    logger.setLevel(level)


def _session_cookie(world: World, role: str, base: str) -> dict[str, Any]:
    client = Client()
    client.force_login(world.users[role])
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}


class Tab:
    """One context (language, width) and its one tab, watching what the page does."""

    def __init__(self, browser: Any, base: str, language: str, width: int) -> None:
        self.base = base
        self.language = language
        self.width = width
        self.context = browser.new_context(
            locale="en-US" if language == "en" else "zh-CN",
            viewport={"width": width, "height": 800},
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.visit = Visit("")
        self.page.on("response", self._response)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.visit.errors.append(f"script: {error}"))
        self.page.on("request", self._request)
        self.page.on("requestfinished", lambda request: self.visit.pending.discard(request))
        self.page.on("requestfailed", self._request_failed)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.visit.failed.append(f"{response.status} {response.url.removeprefix(self.base)}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "").removeprefix(self.base)
            self.visit.errors.append(f"console: {message.text[:200]} ({where})")

    def _request(self, request: Any) -> None:
        self.visit.pending.add(request)
        if request.resource_type in ("xhr", "fetch"):
            self.visit.fetched = True

    def _request_failed(self, request: Any) -> None:
        self.visit.pending.discard(request)
        if "ERR_ABORTED" not in (request.failure or ""):  # cut short by the next page
            self.visit.errors.append(f"request failed: {request.url} {request.failure}")

    def login(self, world: World, role: str) -> None:
        self.context.clear_cookies()
        self.context.add_cookies(
            [
                _session_cookie(world, role, self.base),
                {"name": "django_language", "value": self.language, "url": self.base},
            ]
        )

    def open(self, url: str) -> list[str]:
        """Open ``url`` and wait for what it loads (htmx parts too); its problems."""
        self.visit = Visit(url)
        response = self.page.goto(self.base + url, wait_until="load")
        for _ in range(250):  # up to 5 s for what the page loads after it loaded
            if not self.visit.pending:
                break
            self.page.wait_for_timeout(20)
        if self.visit.fetched:  # htmx swaps its answers in after they arrive
            self.page.wait_for_timeout(100)
        problems = [f"answer {r}" for r in self.visit.failed]
        if response is None:
            problems.append("no answer")
        problems += self.visit.errors
        wide = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if wide[0] > wide[1]:
            problems.append(f"scrolls sideways: {wide[0]} px wide in {wide[1]} px")
        if self.language == "en":
            texts = self.page.evaluate(TEXTS_JS)
            problems += [f"untranslated: {line}" for line in untranslated(texts)]
        return problems

    def close(self) -> None:
        self.context.close()


def _tabs(browser: Any, base: str) -> Iterator[Tab]:
    for language in LANGUAGES:
        for width in WIDTHS:
            yield Tab(browser, base, language, width)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_in_both_languages_and_both_widths(browser, live_server, world) -> None:
    pages = {role: page_urls(world, role) for role in ("admin", "sales")}
    assert len(pages["admin"]) >= 40 and len(pages["sales"]) >= 20, pages
    report: dict[str, list[str]] = {}
    started, loads = time.monotonic(), 0
    for tab in _tabs(browser, live_server.url):
        try:
            for role, urls in pages.items():
                tab.login(world, role)
                for url in urls:
                    loads += 1
                    for problem in tab.open(url):
                        report.setdefault(problem, []).append(
                            f"{url} ({role}, {tab.language}, {tab.width})"
                        )
        finally:
            tab.close()
    lines = []
    for problem, where in sorted(report.items(), key=lambda item: -len(item[1])):
        lines.append(f"{problem}\n    on {len(where)}: {', '.join(where[:6])}")
    counts = f"{len(pages['admin'])} as admin, {len(pages['sales'])} as sales, × 4"
    took = f"{loads} page loads ({counts}) in {time.monotonic() - started:.0f} s"
    print(took)
    assert not report, f"{took}; {len(report)} problems:\n" + "\n".join(lines)
