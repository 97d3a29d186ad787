"""The lead pages: a lead typed by hand, called, qualified and converted; the pool."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.leads.models import Lead, LeadStatus

pytestmark = pytest.mark.django_db


def test_a_lead_by_hand_through_to_a_customer(client, org, reason):
    client.force_login(org.sales)
    made = client.post(
        reverse("leads:create"),
        {"name": "周先生", "phone": "13912345678", "province": "浙江", "city": "杭州"},
    )
    lead = Lead.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("leads:detail", args=[lead.pk])
    detail = client.get(made["Location"])
    assert detail.status_code == 200 and "有效的手机号码" in detail.content.decode()
    called = client.post(
        reverse("leads:attempt", args=[lead.pk]), {"outcome": "connected", "note": "有需求"}
    )
    assert called.status_code == 302
    verified = client.post(reverse("leads:verify", args=[lead.pk]))
    assert "没有疑似重复的客户" in verified.content.decode()
    lead.refresh_from_db()
    qualified = client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {"decision": "qualified", "version": lead.version},
    )
    assert qualified.status_code == 302
    converted = client.post(reverse("leads:convert", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert converted["Location"] == reverse("customers:detail", args=[lead.customer_id])
    page = client.get(converted["Location"]).content.decode()
    assert "周先生" in page


def test_disqualifying_without_a_reason_is_refused_on_the_page(client, org, leads, reason):
    client.force_login(org.sales)
    lead = leads["own"]
    answer = client.post(
        reverse("leads:qualify", args=[lead.pk]),
        {"decision": "disqualified", "version": lead.version},
    )
    assert answer.status_code == 422 and "请选择不合格的原因" in answer.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_a_foreign_phone_on_the_form_gets_its_message(client, org):
    client.force_login(org.sales)
    answer = client.post(reverse("leads:create"), {"name": "Tom", "phone": "(415) 555-0100"})
    assert answer.status_code == 422 and "境外" in answer.content.decode()
    assert not Lead.objects.exists()


def test_the_pool_page_and_a_claim(client, org, leads):
    client.force_login(org.east_sales2)
    page = client.get(reverse("leads:pool")).content.decode()
    assert "池一" in page and "东一" not in page
    claimed = client.post(reverse("leads:claim", args=[leads["pool"].pk]))
    assert claimed.status_code == 302
    assert Lead.objects.get(pk=leads["pool"].pk).owner == org.east_sales2


def test_the_list_filters_and_pages(client, org, leads, django_assert_max_num_queries):
    client.force_login(org.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("leads:list"), {"q": "东"}).content.decode()
    assert "东一" in page and "东二" in page and "西一" not in page
    assert client.get(reverse("leads:list"), {"page": 99}).status_code == 404
    partial = client.get(reverse("leads:list"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "西一" in partial


def test_settings_page_changes_the_rule_and_lists_reasons(client, org, reason):
    client.force_login(org.admin)
    page = client.get(reverse("leads:settings")).content.decode()
    assert "无购买意向" in page and "iframe" in page
    from kehu.leads.assignment import lead_settings

    current = lead_settings()
    saved = client.post(
        reverse("leads:settings"),
        {
            "mode": "round_robin",
            "team": org.east.pk,
            "reclaim_days": 5,
            "reclaim_block_days": 2,
            "claim_cap": 50,
            "version": current.version,
        },
    )
    assert saved.status_code == 302
    assert lead_settings().mode == "round_robin" and lead_settings().claim_cap == 50
    client.post(reverse("leads:reason_add"), {"name": "号码错误"})
    assert "号码错误" in client.get(reverse("leads:settings")).content.decode()


def test_english_pages(client, org, leads):
    client.force_login(org.sales)
    client.cookies.load({"django_language": "en"})
    page = client.get(reverse("leads:detail", args=[leads["own"].pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Contact attempts" in text and "联系记录" not in text


def test_converting_on_the_page_may_open_an_opportunity(client, org, leads):
    from decimal import Decimal

    from kehu.leads.services import lead_qualify
    from kehu.pipeline.models import Opportunity

    lead = leads["own"]
    lead_qualify(actor=org.sales, lead=lead, qualified=True)
    client.force_login(org.sales)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert 'name="with_opportunity"' in page
    response = client.post(
        reverse("leads:convert", args=[lead.pk]),
        {"with_opportunity": "on", "opportunity_amount": "2500", "opportunity_close": ""},
    )
    opportunity = Opportunity.objects.get()
    assert response["Location"] == reverse("pipeline:detail", args=[opportunity.pk])
    lead.refresh_from_db()
    assert opportunity.customer_id == lead.customer_id and opportunity.amount == Decimal("2500")
