"""Care pages: agenda rows only for visible customers; rules and festivals for admins."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from kehu.care.models import CadenceRule, CareItem, CareRule, Festival, RuleKind
from kehu.care.services import agenda_build
from tests.care.factories import rule
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
D = dt.date


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def built(org):
    rule(RuleKind.FESTIVAL, create_task=True, task_kind="greeting")
    mine = make_customer(org.sales, name="东方客户")
    theirs = make_customer(org.west_sales, name="西方客户")
    agenda_build(day=D(2026, 10, 1))
    return mine, theirs


def test_agenda_shows_only_visible_customers(org, built) -> None:
    url = reverse("care:agenda") + "?date=2026-10-01"
    body = client_for(org.sales).get(url).content.decode()
    assert "东方客户" in body and "西方客户" not in body
    assert "国庆" in body
    body = client_for(org.admin).get(url).content.decode()
    assert "东方客户" in body and "西方客户" in body


def test_agenda_preview_of_an_unbuilt_day(org) -> None:
    rule(RuleKind.BIRTHDAY)
    make_customer(org.sales, name="寿星", birthday=D(1990, 12, 24))
    body = client_for(org.sales).get(reverse("care:agenda") + "?date=2026-12-24").content.decode()
    assert "寿星" in body and "预览" in body
    assert CareItem.objects.count() == 0


def test_agenda_bad_date_and_page(org) -> None:
    client = client_for(org.sales)
    assert client.get(reverse("care:agenda") + "?date=nonsense").status_code == 422
    assert client.get(reverse("care:agenda") + "?date=1800-01-01").status_code == 422
    assert client.get(reverse("care:agenda") + "?page=99").status_code == 404


def test_agenda_page_queries_are_bounded(org, built, django_assert_max_num_queries) -> None:
    for n in range(30):
        make_customer(org.sales, name=f"客户{n}")
    agenda_build(day=D(2026, 10, 1))
    client = client_for(org.sales)
    with django_assert_max_num_queries(20):
        client.get(reverse("care:agenda") + "?date=2026-10-01")


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_build_button_refused(org, role) -> None:
    response = client_for(getattr(org, role)).post(reverse("care:build"), {"date": "2026-10-01"})
    assert response.status_code == 403


def test_build_button_for_a_manager(org, settings) -> None:
    from django.utils import timezone

    rule(RuleKind.FESTIVAL)
    make_customer(org.sales)
    today = timezone.localdate()
    response = client_for(org.manager).post(reverse("care:build"), {"date": today.isoformat()})
    assert response.status_code == 302
    assert CareItem.objects.filter(agenda_date=today).exists() == bool(
        CareItem.objects.filter(agenda_date=today).count()
    )
    far = client_for(org.manager).post(reverse("care:build"), {"date": "2000-01-01"})
    assert (
        far.status_code == 302 and not CareItem.objects.filter(agenda_date=D(2000, 1, 1)).exists()
    )


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
@pytest.mark.parametrize(
    "name", ["care:rules", "care:rule_new", "care:festivals", "care:festival_new"]
)
def test_rules_and_festivals_refused_for_non_admins(org, role, name) -> None:
    assert client_for(getattr(org, role)).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", ["manager", "sales"])
def test_rule_edit_post_refused(org, role) -> None:
    made = rule(RuleKind.BIRTHDAY)
    response = client_for(getattr(org, role)).post(
        reverse("care:rule_edit", args=[made.pk]), {"name": "改", "kind": "birthday"}
    )
    assert response.status_code == 403
    assert CareRule.objects.get(pk=made.pk).name != "改"


def test_admin_edits_a_rule_with_validation_and_version(org) -> None:
    client = client_for(org.admin)
    assert client.get(reverse("care:rules")).status_code == 200
    bad = client.post(
        reverse("care:rule_new"),
        {"name": "拜访", "kind": "visit", "days_before": 0, "create_task": "on"},
    )
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "定期拜访/送礼规则需要选择重要客户的标签" in text or "标签" in text
    bad_template = client.post(
        reverse("care:rule_new"),
        {"name": "生日", "kind": "birthday", "days_before": 0, "message": "{称谓}好"},
    )
    assert bad_template.status_code == 422 and "未知的占位符" in bad_template.content.decode()
    ok = client.post(
        reverse("care:rule_new"),
        {
            "name": "生日电话",
            "kind": "birthday",
            "days_before": 1,
            "create_task": "on",
            "task_kind": "call",
        },
    )
    assert ok.status_code == 302
    made = CareRule.objects.get(name="生日电话")
    stale = client.post(
        reverse("care:rule_edit", args=[made.pk]),
        {"name": "新名", "kind": "birthday", "days_before": 0, "version": made.version + 5},
    )
    assert stale.status_code == 422 and "已被他人修改" in stale.content.decode()


def test_admin_edits_festivals(org) -> None:
    client = client_for(org.admin)
    assert "春节" in client.get(reverse("care:festivals")).content.decode()
    bad = client.post(
        reverse("care:festival_new"),
        {"name": "怪日", "calendar": "solar", "month": 2, "day": 30, "position": 0},
    )
    assert bad.status_code == 422 and "2 月没有 30 日" in bad.content.decode()
    ok = client.post(
        reverse("care:festival_new"),
        {
            "name": "店庆",
            "calendar": "solar",
            "month": 6,
            "day": 18,
            "active": "on",
            "position": 20,
        },
    )
    assert ok.status_code == 302 and Festival.objects.filter(name="店庆").exists()


def test_admin_edits_cadence(org) -> None:
    from kehu.customers.models import Tag

    vip = Tag.objects.create(name="VIP")
    client = client_for(org.admin)
    client.post(reverse("care:cadence_new"), {"tag": vip.pk, "days": 14})
    assert CadenceRule.objects.get(tag=vip).days == 14
    default = CadenceRule.objects.get(tag__isnull=True)
    client.post(
        reverse("care:cadence_edit", args=[default.pk]), {"days": 60, "version": default.version}
    )
    assert CadenceRule.objects.get(pk=default.pk).days == 60
    response = client_for(org.sales).post(reverse("care:cadence_new"), {"tag": vip.pk, "days": 3})
    assert response.status_code == 403


def test_send_greetings_hands_visible_customers_to_messaging(org, built) -> None:
    mine, theirs = built
    items = list(CareItem.objects.values_list("pk", flat=True))
    campaign = mock.Mock(pk=42)
    with mock.patch("kehu.messaging.services.message_to_customers", return_value=campaign) as send:
        response = client_for(org.sales).post(
            reverse("care:greetings") + "?date=2026-10-01",
            {"items": items, "channel": "sms", "body": "{称呼}，国庆快乐！"},
        )
    assert response.status_code == 302
    kwargs = send.call_args.kwargs
    assert kwargs["customer_ids"] == [mine.pk] and kwargs["purpose"] == "care"
    assert CareItem.objects.get(customer=mine).campaign_id == 42
    assert CareItem.objects.get(customer=theirs).campaign_id is None


def test_send_greetings_refused_for_analyst(org, built) -> None:
    with mock.patch("kehu.messaging.services.message_to_customers") as send:
        client_for(org.analyst).post(
            reverse("care:greetings"),
            {
                "items": list(CareItem.objects.values_list("pk", flat=True)),
                "channel": "sms",
                "body": "hi",
            },
        )
    assert not send.called


def test_customer_card(org) -> None:
    customer = make_customer(org.sales, birthday=D(1990, 10, 3), birthday_is_lunar=True)
    body = (
        client_for(org.sales).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    )
    assert "下次生日" in body and "农历生日（八月十五）" in body and "回访周期" in body
