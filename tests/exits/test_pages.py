"""The exit pages: who may open them, the form's bad input, the customer card, the
order page's policy, the win-back audience and export."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from kehu.exits.models import ExitReason, ExitRecord, ExitSettings
from kehu.exits.services import exit_record
from tests.exits.conftest import buy, days_ago
from tests.factories import make_customer


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reason(key: str) -> ExitReason:
    return ExitReason.objects.get(key=key)


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_reasons_and_settings_are_refused_to_non_admins(org, role):
    client = login(getattr(org, role))
    price = reason("price")
    assert client.get("/exits/reasons/").status_code == 403
    assert client.get(f"/exits/reasons/{price.pk}/").status_code == 403
    assert client.get("/exits/settings/").status_code == 403
    posted = client.post("/exits/reasons/", {"key": "x", "name": "X", "position": 1})
    assert posted.status_code == 403 and not ExitReason.objects.filter(key="x").exists()


def test_an_admin_edits_the_taxonomy_and_the_policy(org):
    client = login(org.admin)
    assert client.get("/exits/reasons/").status_code == 200
    made = client.post(
        "/exits/reasons/",
        {
            "key": "delivery",
            "name": "物流太慢",
            "position": 95,
            "addressable": "on",
            "is_active": "on",
        },
    )
    assert made.status_code == 302 and ExitReason.objects.get(key="delivery").addressable
    unknown = reason("unknown")
    refused = client.post(
        f"/exits/reasons/{unknown.pk}/",
        {"name": "未知", "position": 99, "version": unknown.version},
    )
    assert refused.status_code == 422 and ExitReason.objects.get(key="unknown").is_active
    saved = client.post(
        "/exits/settings/",
        {
            "survey_channel": "link",
            "survey_delay_days": 1,
            "refund_policy": "7 天无理由退款",
            "return_policy": "",
            "winback_min_value": "0",
            "version": 1,
        },
    )
    assert saved.status_code == 302
    customer = make_customer(org.sales, name="买家")
    order = buy(org.sales, customer, days_ago(1), total="50.00")
    page = login(org.sales).get(f"/orders/{order.pk}/")
    assert "7 天无理由退款" in page.content.decode()


def test_the_customer_card_records_an_exit_and_bad_input_changes_nothing(org):
    customer = make_customer(org.sales, name="老王")
    client = login(org.sales)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="exits"' in page and 'id="exit-record"' in page
    bad = client.post(f"/exits/customer/{customer.pk}/record/", {"reason": reason("bad_debt").pk})
    assert bad.status_code == 422 and "请填写说明" in bad.content.decode()
    assert not ExitRecord.objects.exists()
    good = client.post(
        f"/exits/customer/{customer.pk}/record/",
        {"reason": reason("bad_debt").pk, "details": "欠款半年未还"},
    )
    assert good.status_code == 302
    record = ExitRecord.objects.get(customer=customer)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="exit-record"' not in page  # one open exit: no second form
    assert client.get(f"/exits/{record.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["west_sales", "east_sales2", "west_manager"])
def test_an_exit_of_someone_elses_customer_is_not_found(org, role):
    customer = make_customer(org.sales, name="老赵")
    record = exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    client = login(getattr(org, role))
    assert client.get(f"/exits/{record.pk}/").status_code == 404
    assert client.post(f"/exits/{record.pk}/", {"reason": reason("moved").pk}).status_code == 404
    posted = client.post(f"/exits/customer/{customer.pk}/record/", {"reason": reason("price").pk})
    assert posted.status_code == 404
    assert "老赵" not in client.get("/exits/list/").content.decode()


def test_analysis_and_winback_pages(org):
    for name, key, value in (("甲", "price", "900.00"), ("乙", "closed", "5000.00")):
        customer = make_customer(org.sales, name=name, source_channel="website")
        buy(org.sales, customer, days_ago(30), total=value)
        exit_record(actor=org.sales, customer=customer, reason=reason(key))
    client = login(org.manager)
    for by in (
        "reason",
        "segment",
        "tier",
        "group",
        "tenure",
        "channel",
        "product",
        "owner",
        "team",
        "month",
    ):
        page = client.get("/exits/", {"by": by})
        assert page.status_code == 200, by
    winback = client.get("/exits/winback/").content.decode()
    assert "甲" in winback and "乙" not in winback  # 停业/倒闭 is not addressable
    listed = client.get("/customers/", {"winback": "1"}).content.decode()
    assert "甲" in listed and "乙" not in listed
    assert client.get("/customers/", {"winback": "2"}).status_code == 404
    ExitSettings.objects.update(winback_min_value=Decimal("1000.00"))
    assert "甲" not in client.get("/exits/winback/").content.decode()


def test_the_command_lists_records_and_summarises(org, capsys):
    customer = make_customer(org.sales, name="命令行客户")
    call_command("exits", "record", str(customer.pk), "competitor", "--competitor", "某某")
    call_command("exits", "list")
    call_command("exits", "summary", "--by", "channel")
    out = capsys.readouterr().out
    assert "命令行客户" in out and "competitor" in out and "total" in out


def test_a_campaign_to_the_winback_list_reaches_only_it(org):
    from kehu.customers.selectors import CustomerFilters
    from kehu.messaging.services import Audience, audience_ids
    from tests.messaging.factories import consenting_customer

    lost = consenting_customer(org.sales, name="流失客户")
    closed = consenting_customer(org.sales, name="倒闭客户")
    consenting_customer(org.sales, name="在用客户")
    exit_record(actor=org.sales, customer=lost, reason=reason("price"))
    exit_record(actor=org.sales, customer=closed, reason=reason("closed"))
    ids = audience_ids(org.sales, Audience(filters=CustomerFilters(winback=1)))
    assert ids == [lost.pk]
    page = login(org.sales).get("/messages/new/", {"winback": "1"}).content.decode()
    assert 'id="audience-winback"' in page and 'name="winback"' in page


def test_the_exit_pages_read_in_english(org):
    customer = make_customer(org.sales, name="Lost Customer")
    record = exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    ExitReason.objects.update(name="Reason", description="Seeded")
    org.east.name, org.west.name = "East", "West"
    org.east.save()
    org.west.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    import re

    for url in (
        "/exits/?by=tenure",
        "/exits/list/",
        "/exits/winback/",
        "/exits/reasons/",
        "/exits/settings/",
        f"/exits/{record.pk}/",
        f"/exits/customer/{customer.pk}/record/",
        f"/customers/{customer.pk}/",
    ):
        html = client.get(url).content.decode()
        main = html[html.find("<main") :] if "<main" in html else html
        if url.startswith("/customers/"):  # the exits card (the rest holds seeded data)
            main = main[main.find('id="exits"') :]
            main = main[: main.find('class="kehu-card', 10)]
        block = re.sub(r"<script.*?</script>", "", main, flags=re.S)
        han = re.findall(r"[\u4e00-\u9fff]+", block)
        assert not han, (url, han[:10])
