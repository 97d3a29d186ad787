"""The shell in a browser: an admin's navigation fits at 1,280 px and folds into the
hamburger at 375 px in Chinese and in English, no page scrolls sideways, no label wraps,
and no page breaks the Content-Security-Policy (charts, htmx swaps, confirmations and
the Django admin included)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.lifecycle.engine import lifecycle_evaluate
from tests.browser.helpers import login
from tests.factories import make_customer, make_user
from tests.lifecycle.factories import buy, days_ago

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]

# Records what the page's policy refused, before any script of the page runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

# Problems of the layout on the page as it is now: a horizontal scrollbar, a label of
# the bar on more than one line, the bar's top-level entries on more than one row.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
  }
  const nav = document.querySelector("nav.navbar");
  const visible = (el) => el.offsetParent !== null;
  for (const el of nav.querySelectorAll(".navbar-brand, .nav-link, .dropdown-item")) {
    if (!visible(el)) continue;
    const line = parseFloat(getComputedStyle(el).lineHeight);
    const style = getComputedStyle(el);
    const inner = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    if (inner > line * 1.5) problems.push(`wraps: ${el.innerText.trim()} (${inner}px)`);
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5) problems.push(`off-screen: ${el.innerText.trim()}`);
  }
  const centres = [...nav.querySelectorAll(
    ".navbar-brand, .navbar-nav > .nav-item > .nav-link, .kehu-nav-end, .kehu-nav-search")]
    .filter(visible).map((el) => el.getBoundingClientRect())
    .map((box) => (box.top + box.bottom) / 2);
  if (window.innerWidth >= 992 && Math.max(...centres) - Math.min(...centres) > 12) {
    problems.push(`the bar is not one row: ${centres}`);
  }
  return problems;
}"""

PAGES = (
    "/work/",
    "/customers/",
    "/customers/{customer}/",
    "/lifecycle/analytics/",
    "/lifecycle/models/",
    "/complaints/",
    "/no/such/page/",
)


@pytest.fixture
def watched(page):
    """The page, with every console error and every refused resource recorded."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(WATCH_CSP)
    page.errors = errors
    return page


def _clean(page, where: str) -> None:
    violations = page.evaluate("window.__csp")
    assert not violations, f"{where}: the policy refused {violations}"
    assert not page.errors, f"{where}: console errors {page.errors}"


def _customers(boss):
    """Two customers with orders, evaluated: the lifecycle charts have data."""
    lapsed = make_customer(None, name="久未购买", actor=boss)
    recent = make_customer(boss, name="刚刚购买的一位名字很长的客户有限公司", actor=boss)
    buy(boss, lapsed, days_ago(100))
    buy(boss, recent, days_ago(5))
    lifecycle_evaluate([lapsed.pk, recent.pk], now=timezone.now())
    return recent


def test_the_bar_fits_every_width_in_both_languages(watched, live_server):
    page = watched
    boss = make_user(Role.ADMIN, username="boss", team=None)
    customer = _customers(boss)
    url = live_server.url
    login(page, url, "boss")

    for language in ("zh-hans", "en"):
        if language == "en":  # the user menu's language switch
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{url}/work/")
            page.click("#user-menu > button")
            page.click("#user-menu button[value=en]")
            page.wait_for_selector("html[lang=en]")
        for width in (1280, 992, 375):  # 992: the narrowest width with the bar unfolded
            page.set_viewport_size({"width": width, "height": 900})
            for path in PAGES if width != 992 else PAGES[:1]:
                page.goto(url + path.format(customer=customer.pk))
                where = f"{path} in {language} at {width} px"
                assert page.get_attribute("html", "lang") == language, where
                toggler = page.locator(".navbar-toggler")
                if width < 992:
                    assert toggler.is_visible(), where
                    assert not page.locator("#nav").is_visible(), where
                    toggler.click()  # the hamburger opens the five groups
                    page.wait_for_selector("#nav.collapse.show")  # opened, not still opening
                    page.click("#nav-settings > .dropdown-toggle")
                    page.wait_for_selector("#nav-settings .dropdown-menu", state="visible")
                else:
                    assert not toggler.is_visible(), where
                    page.click("#user-menu > button")
                    page.wait_for_selector("#user-menu .dropdown-menu", state="visible")
                page.screenshot(path=f"/tmp/kehu-shell-{language}-{width}-{path.split('/')[1]}.png")
                problems = page.evaluate(LAYOUT_PROBLEMS)
                assert not problems, f"{where}: {problems}"
                if "no/such" not in path:  # the 404 is the one resource that answers 404
                    _clean(page, where)
                page.errors.clear()


def test_charts_htmx_and_confirmations_keep_to_the_policy(watched, live_server):
    page = watched
    boss = make_user(Role.ADMIN, username="boss", team=None)
    customer = _customers(boss)
    url = live_server.url
    login(page, url, "boss")

    page.goto(f"{url}/lifecycle/analytics/")
    page.wait_for_selector("#chart-now canvas")  # the nonce'd script drew the charts
    _clean(page, "the analytics page")
    page.evaluate("document.querySelector('#chart-now').dataset.old = 'yes'")
    page.select_option("#id_bucket", index=1)  # htmx swaps new results in
    page.wait_for_selector("#chart-now:not([data-old]) canvas")  # ... and they are redrawn
    page.hover("#chart-now canvas")  # a tooltip writes styled HTML
    _clean(page, "the analytics page after a swap")

    page.goto(f"{url}/customers/{customer.pk}/")
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("form[data-confirm] button")  # delete: kehu.js asks first
    assert asked and "删除" in asked[0]
    assert page.url.endswith(f"/customers/{customer.pk}/")  # dismissed: nothing sent
    _clean(page, "the customer page")

    page.goto(f"{url}/lifecycle/models/six_phase/")
    page.wait_for_selector("#rules")
    page.goto(f"{url}/django-admin/")
    page.wait_for_selector("#content-main")
    page.goto(f"{url}/django-admin/accounts/user/{boss.pk}/change/")
    page.wait_for_selector("#user_form")
    _clean(page, "the Django admin")

    page.goto(f"{url}/api/docs")
    # Swagger UI drew the operations (a large bundle and document: slow on a busy machine)
    page.wait_for_selector(".opblock-summary-path", timeout=60_000)
    _clean(page, "the API's Swagger page")
