"""The navigation bar offers a role exactly the pages it may open, grouped in five
dropdowns; every page without an id is in it or reached from a named place."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kehu.accounts.models import User
from kehu.shell.navigation import ENTRIES, Group, entries_for, menus_for

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "sales", "service", "analyst")

# Pages without an id that are not in the bar, and where a user reaches them.
NOT_IN_NAV = {
    "accounts:login": "the login page",
    "accounts:logout": "the user menu (POST)",
    "accounts:password_change": "the user menu",
    "accounts:password_done": "after changing the password",
    "set_language": "the user menu (POST)",
    "followups:notifications": "the bell",
    "loyalty:level_new": "the loyalty settings page's 新建 button",
    "loyalty:rule_new": "the loyalty settings page's 新建 button",
    "loyalty:gift_new": "the loyalty settings page's 新建 button",
    "channels:costs": "the channels comparison page's button",
    "exits:list": "the exit analysis page's button",
    "retention:create": "the playbook list's button",
    "value:new_customers": "the value pages' tabs (value/_nav.html)",
    "leads:create": "the lead list's button",
    "coupons:create": "the coupon list's button",
    "leads:public_form": "no login: linked from the lead settings, put on the website",
    "leads:public_embed": "no login: the iframe snippet on the lead settings page",
    "leads:reason_add": "the lead settings page (POST)",
    "leads:route_add": "the lead settings page (POST)",
    "followups:notifications_read": "the notifications page (POST)",
    "followups:calendar_feed": "my work (POST)",
    "customers:create": "the customer list's button",
    "complaints:incident_create": "the incidents page",
    "surveys:create": "the survey list",
    "care:build": "the care agenda (POST)",
    "care:greetings": "the care agenda (POST)",
    "care:rule_new": "the care rules page",
    "care:cadence_new": "the care rules page (POST)",
    "care:festival_new": "the festivals page",
    "value:at_risk_export": "the at-risk list",
    "value:run_now": "the value model page (POST)",
    "messaging:new": "the campaigns page",
    "messaging:template_new": "the message templates page",
    "value:at_risk_export_xlsx": "the at-risk list",
    "lifecycle:model_new": "the lifecycle models page",
    "segments:new": "the segments page's button",
    "segments:preview": "the segment builder (htmx, POST)",
    "care:items": "the care agenda's bulk bar (POST)",
    "followups:bulk": "my work's bulk bar (POST)",
    "orders:product_create": "the products page's button",
    "exports:vcard_selection": "the customer list's vCard button (the ticked customers)",
    "orders:sale_new": "the orders list's and the customer page's button",
    "orders:sale_customers": "the sale form (htmx customer search)",
    "orders:sale_products": "the sale form (htmx product search)",
    "orders:sale_line": "the sale form (htmx: add a line)",
    "orders:sale_line_remove": "the sale form (htmx: remove a line)",
    "orders:quick_customer": "the quick sale (htmx: find the customer)",
    "orders:quick_customer_new": "the quick sale (htmx: a new customer)",
    "orders:quick_product": "the quick sale (htmx: the product)",
    "orders:categories": "the products page's button",
    "orders:category_create": "the categories page (POST)",
    "pipeline:create": "the customer page's opportunities card",
}


def _nav(html: str) -> str:
    match = re.search(r'<nav class="navbar.*?</nav>', html, re.S)
    assert match, "the page has no navigation bar"
    return match.group(0)


def _pages_without_id(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) in ("api/", "django-admin/"):
                continue
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _pages_without_id(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


@pytest.mark.parametrize("role", ROLES)
def test_the_bar_offers_what_the_role_may_open_and_nothing_else(client, org, role):
    """Every entry opens (200) for a role that sees it and is refused to one that does
    not: the bar and the views' access helpers cannot disagree."""
    user: User = getattr(org, role)
    client.force_login(user)
    shown = {entry.url_name for entry in entries_for(user)}
    nav = _nav(client.get(reverse("customers:list")).content.decode())
    for entry in ENTRIES:
        url = reverse(entry.url_name)
        status = client.get(url).status_code
        if entry.url_name in shown:
            assert status == 200, f"{role} is offered {url} and gets {status}"
            assert f'href="{url}"' in nav, f"{role} may open {url}, the bar does not offer it"
        else:
            assert status != 200, f"{role} is not offered {url} but may open it"
            assert f'href="{url}"' not in nav, f"{role} is offered {url}"


def test_a_salesperson_is_not_offered_customer_value(client, org):
    client.force_login(org.sales)
    nav = _nav(client.get(reverse("followups:my_work")).content.decode())
    assert "客户价值" not in nav and 'href="/value/"' not in nav
    assert "流失预警" in nav  # the at-risk list of their own customers is theirs
    assert 'id="nav-settings"' not in nav  # nothing to set: no empty dropdown
    assert client.get(reverse("value:dashboard")).status_code == 403


def test_an_admin_has_five_dropdowns_with_every_entry(client, org):
    client.force_login(org.admin)
    nav = _nav(client.get(reverse("customers:list")).content.decode())
    dropdowns = re.findall(r'class="nav-item dropdown" id="nav-(\w+)"', nav)
    assert dropdowns == [group.value for group in Group]
    for entry in ENTRIES:
        assert f'href="{reverse(entry.url_name)}"' in nav
    assert 'action="/customers/"' in nav and 'name="q"' in nav  # the search box
    assert 'id="user-menu"' in nav and 'action="/i18n/setlang/"' in nav
    assert 'action="/accounts/logout/"' in nav and 'href="/accounts/password/"' in nav
    assert 'href="/work/notifications/"' in nav  # the bell


def test_the_current_page_is_marked(org):
    menus = menus_for(org.manager, "value:at_risk")
    active = [(menu.key, link.label) for menu in menus for link in menu.links if link.active]
    assert active == [("analytics", "流失预警")]
    assert [menu.key for menu in menus if menu.active] == ["analytics"]


def test_every_page_without_an_id_is_in_the_bar_or_reached_from_a_named_place():
    """A new list or settings page must get an entry (one line in ``ENTRIES``) or say
    where users find it, so no page is linked from nowhere again."""
    in_nav = {entry.url_name for entry in ENTRIES}
    pages = set(_pages_without_id(get_resolver().url_patterns))
    orphans = sorted(pages - in_nav - set(NOT_IN_NAV))
    assert not orphans, f"pages no one can find: {orphans}"
    for entry in ENTRIES:
        reverse(entry.url_name)  # an entry is a page without an id
    assert len(in_nav) == len(ENTRIES), "an entry is listed twice"


def test_htmx_partials_carry_no_bar(client, org):
    client.force_login(org.admin)
    body = client.get(reverse("customers:list"), headers={"HX-Request": "true"}).content
    assert b"<nav" not in body
