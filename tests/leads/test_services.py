"""Creating leads (idempotent), changing them with a version, verification, contact
attempts and qualification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.core.errors import ConflictError
from kehu.leads.models import Lead, LeadStatus, PhoneCheck
from kehu.leads.services import (
    LeadStateError,
    attempt_log,
    lead_create,
    lead_qualify,
    lead_update,
    lead_verify,
)
from kehu.leads.verification import phone_verdict
from tests.factories import make_customer
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


def test_create_normalises_the_phone_and_verifies_it(org):
    lead = make_lead(org.sales, org.sales, phone="138 0013 8000", province="广东")
    assert lead.phone == "+8613800138000"
    assert lead.phone_check == PhoneCheck.VALID and lead.phone_region == "CN"
    assert lead.owner == org.sales and lead.status == LeadStatus.NEW
    assert set(lead.events.values_list("kind", flat=True)) == {"create", "assign"}


def test_a_foreign_format_phone_gets_a_clear_message_and_nothing_is_made(org):
    with pytest.raises(ValidationError) as error:
        make_lead(org.sales, org.sales, phone="(415) 555-0100")
    assert "境外" in error.value.message_dict["phone"][0]
    assert not Lead.objects.exists()


def test_a_foreign_number_written_with_its_country_code_is_kept_and_flagged(org):
    lead = make_lead(org.sales, org.sales, phone="+852 2123 4567")
    assert lead.phone == "+85221234567"
    assert lead.phone_check == PhoneCheck.FOREIGN and lead.phone_region == "HK"


def test_a_fixed_line_of_another_province_is_a_region_mismatch():
    verdict = phone_verdict("+862088888888", "浙江省")  # 020: 广东
    assert verdict.check == PhoneCheck.REGION_MISMATCH
    assert phone_verdict("+862088888888", "广东省").check == PhoneCheck.VALID


def test_create_is_idempotent_by_source_and_external_id(org):
    data = {"name": "韩梅梅", "phone": "13900139000", "source": "shop", "external_id": "A-1"}
    first, created = lead_create(actor=org.admin, data=data, owner=None)
    again, created_again = lead_create(actor=org.admin, data={**data, "name": "改名"}, owner=None)
    assert created and not created_again
    assert again.pk == first.pk and again.name == "韩梅梅"
    other, made = lead_create(actor=org.admin, data={**data, "source": "erp"}, owner=None)
    assert made and other.pk != first.pk
    assert Lead.objects.count() == 2


def test_create_is_idempotent_by_client_token(org):
    data = {"name": "韩梅梅", "phone": "13900139000"}
    first, _ = lead_create(actor=None, data=data, client_token="tok-1")
    again, created = lead_create(actor=None, data=data, client_token="tok-1")
    assert not created and again.pk == first.pk and Lead.objects.count() == 1


def test_duplicates_against_customers_and_other_leads(org):
    customer = make_customer(org.sales, name="王五", phones=("13700137000",))
    make_lead(org.admin, None, name="王五", phone="13700137000")
    lead = make_lead(org.sales, org.sales, name="王五", phone="13700137000")
    assert lead.duplicate_customers == 1 and lead.duplicate_leads == 1
    found = lead_verify(actor=org.sales, lead=lead)
    assert [c.customer_id for c in found["customers"]] == [customer.pk]
    assert found["customers"][0].reasons == ["phone"]
    assert len(found["leads"]) == 1
    lead.refresh_from_db()
    assert lead.verified_at is not None


def test_duplicate_customer_of_a_colleague_is_masked(org):
    make_customer(org.west_sales, name="赵六六", phones=("13700137001",))
    lead = make_lead(org.sales, org.sales, name="赵六六", phone="13700137001")
    found = lead_verify(actor=org.sales, lead=lead)
    assert found["customers"][0].visible is False and "*" in found["customers"][0].name


def test_update_needs_the_version_it_read(org):
    lead = make_lead(org.sales, org.sales)
    read = lead.version
    changed = lead_update(actor=org.sales, lead=lead, data={"city": "杭州"}, version=read)
    assert changed.city == "杭州" and changed.version == read + 1
    with pytest.raises(ConflictError):
        lead_update(actor=org.sales, lead=lead, data={"city": "宁波"}, version=read)
    assert Lead.objects.get(pk=lead.pk).city == "杭州"


@pytest.mark.parametrize(
    ("outcome", "status", "phone_check"),
    [
        ("connected", "contacting", "valid"),
        ("no_answer", "contacting", "valid"),
        ("invalid_number", "contacting", "invalid"),
        ("refused", "contacting", "valid"),
    ],
)
def test_attempt_outcomes(org, outcome, status, phone_check):
    lead = make_lead(org.sales, org.sales)
    attempt_log(actor=org.sales, lead=lead, outcome=outcome, note="第一次")
    lead.refresh_from_db()
    assert lead.status == status and lead.phone_check == phone_check
    assert lead.last_attempt_at is not None and lead.attempts.count() == 1


def test_an_appointment_needs_its_time(org):
    lead = make_lead(org.sales, org.sales)
    with pytest.raises(ValidationError) as error:
        attempt_log(actor=org.sales, lead=lead, outcome="appointment")
    assert "appointment_at" in error.value.message_dict
    when = timezone.now() + dt.timedelta(days=2)
    attempt = attempt_log(actor=org.sales, lead=lead, outcome="appointment", appointment_at=when)
    assert attempt.appointment_at == when


def test_qualification_with_and_without_a_reason(org, reason):
    lead = make_lead(org.sales, org.sales)
    with pytest.raises(ValidationError):
        lead_qualify(actor=org.sales, lead=lead, qualified=False)
    lead = lead_qualify(actor=org.sales, lead=lead, qualified=False, reason=reason, note="预算不足")
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == reason
    assert lead.events.filter(kind="disqualify", note__contains="无购买意向").exists()
    lead = lead_qualify(actor=org.sales, lead=lead, qualified=True)
    assert lead.status == LeadStatus.QUALIFIED and lead.disqualify_reason is None


def test_a_converted_lead_cannot_be_qualified_or_called(org):
    lead = make_lead(org.sales, org.sales)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CONVERTED)
    lead.refresh_from_db()
    with pytest.raises(LeadStateError):
        lead_qualify(actor=org.sales, lead=lead, qualified=True)
    with pytest.raises(LeadStateError):
        attempt_log(actor=org.sales, lead=lead, outcome="connected")


def test_a_lead_names_only_a_campaign_its_actor_sees_and_keeps_its_own(org):
    from kehu.messaging.models import Campaign

    theirs = Campaign.objects.create(
        name="West sale",
        channel="sms",
        body="x",
        created_by=org.west_sales,
        created_at=timezone.now(),
    )
    with pytest.raises(ValidationError) as error:
        make_lead(org.sales, org.sales, campaign_id=theirs.pk)
    assert "campaign" in error.value.message_dict
    lead = make_lead(org.admin, org.sales, campaign_id=theirs.pk)
    changed = lead_update(
        actor=org.sales,
        lead=lead,
        data={"campaign_id": theirs.pk, "city": "杭州"},
        version=lead.version,
    )
    assert changed.campaign_id == theirs.pk and changed.city == "杭州"
