"""Conversion: through the customers' service, the history on the customer's timeline,
the lifecycle's first stage with the reason, and the customer's ``lead_id``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.duplicates import DuplicateError
from kehu.customers.timeline import customer_timeline
from kehu.leads.conversion import lead_convert
from kehu.leads.models import LeadStatus
from kehu.leads.services import LeadStateError, attempt_log, lead_qualify
from kehu.lifecycle.models import CustomerStage, LifecycleModel, StageChange
from tests.factories import make_customer
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


def qualified(org, **data):
    lead = make_lead(org.sales, org.sales, **data)
    attempt_log(actor=org.sales, lead=lead, outcome="connected", note="有兴趣，下周约见")
    return lead_qualify(actor=org.sales, lead=lead, qualified=True, note="预算明确")


def test_conversion_makes_a_customer_and_keeps_the_history(org):
    lead = qualified(org, name="陈小姐", company="佛山乐炼餐饮管理有限公司", city="佛山")
    done = lead_convert(actor=org.sales, lead=lead)
    customer = done.customer
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.customer == customer
    assert list(customer.leads.all()) == [lead]  # the customer's lead_id
    assert customer.kind == "company" and customer.name == "佛山乐炼餐饮管理有限公司"
    assert customer.owner == org.sales and customer.primary_phone == lead.phone
    assert customer.contacts.get().name == "陈小姐"
    page = customer_timeline(customer, viewer=org.sales, limit=50)
    kinds = {event.kind for event in page.events}
    assert {"lead", "lead_attempt"} <= kinds
    attempt = next(e for e in page.events if e.kind == "lead_attempt")
    assert "接通" in attempt.title and "下周约见" in attempt.detail


def test_the_customer_enters_the_first_stage_of_every_active_model_with_the_reason(org):
    lead = qualified(org)
    customer = lead_convert(actor=org.sales, lead=lead).customer
    active = LifecycleModel.objects.filter(is_active=True)
    assert active.exists()
    for model in active:
        first = model.stages.order_by("position", "pk").first()
        assert CustomerStage.objects.get(customer=customer, model=model).stage == first
        change = StageChange.objects.get(customer=customer, model=model)
        assert f"线索 #{lead.pk}" in change.reason


def test_only_a_qualified_lead_converts_and_only_once(org):
    lead = make_lead(org.sales, org.sales)
    with pytest.raises(LeadStateError):
        lead_convert(actor=org.sales, lead=lead)
    lead = lead_qualify(actor=org.sales, lead=lead, qualified=True)
    lead_convert(actor=org.sales, lead=lead)
    with pytest.raises(LeadStateError):
        lead_convert(actor=org.sales, lead=lead)


def test_a_duplicate_customer_stops_the_conversion_and_nothing_changes(org):
    make_customer(org.west_sales, name="别人的客户", phones=("13600136000",))
    lead = qualified(org, phone="13600136000")
    with pytest.raises(DuplicateError) as error:
        lead_convert(actor=org.sales, lead=lead)
    assert error.value.can_override is False  # a colleague's customer: claim, not re-create
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED and lead.customer is None


def test_convert_into_an_existing_customer(org):
    existing = make_customer(org.sales, name="老客户", phones=("13600136001",))
    lead = qualified(org, phone="13600136001")
    done = lead_convert(actor=org.sales, lead=lead, into=existing)
    assert done.customer == existing and not done.created_customer
    assert not StageChange.objects.filter(customer=existing).exists()
    # A second enquiry of the same customer converts into it too.
    second = qualified(org, name="又来了", phone="13600136002")
    lead_convert(actor=org.sales, lead=second, into=existing)
    assert set(existing.leads.all()) == {lead, second}


def test_a_merge_moves_the_leads_to_the_survivor(org):
    from kehu.customers.merge import customer_merge

    lead = qualified(org, phone="13600136003")
    merged = lead_convert(actor=org.sales, lead=lead).customer
    survivor = make_customer(org.sales, name="留下的")
    customer_merge(actor=org.admin, survivor_id=survivor.pk, other_id=merged.pk)
    lead.refresh_from_db()
    assert lead.customer == survivor


def test_a_conversion_may_open_an_opportunity_in_the_first_phase(org):
    from kehu.pipeline.models import Opportunity, Phase

    lead = qualified(org)
    with pytest.raises(ValidationError) as error:
        lead_convert(actor=org.sales, lead=lead, opportunity={"price": "1000"})
    assert "opportunity" in error.value.message_dict  # an unknown field: nothing written
    lead.refresh_from_db()
    assert lead.status == "qualified" and not Opportunity.objects.exists()
    done = lead_convert(
        actor=org.sales,
        lead=lead,
        opportunity={"amount": "1000", "expected_close_date": "2027-01-31"},
    )
    opportunity = done.opportunity
    assert opportunity.customer == done.customer and opportunity.amount == Decimal("1000")
    assert opportunity.phase == Phase.objects.order_by("position").first()
    assert opportunity.owner == org.sales and lead.name in opportunity.name
