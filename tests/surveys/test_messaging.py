"""Invitations delivered through the messaging app (``message_to_customers``)."""

from __future__ import annotations

import pytest

from kehu.messaging.models import Campaign, Recipient
from kehu.messaging.services import consent_set
from kehu.surveys.models import Invitation
from kehu.surveys.services import invitations_send
from tests.factories import make_customer
from tests.surveys.factories import make_survey

pytestmark = pytest.mark.django_db


def test_sms_invitation_goes_through_messaging_with_its_link(org):
    survey = make_survey(org.admin)
    consenting = make_customer(org.sales, name="同意", phones=("13800138000",))
    opted_out = make_customer(org.sales, name="退订", phones=("13900139000",))
    consent_set(
        actor=org.sales, customer=consenting, channel="sms", status="granted", source="form"
    )
    consent_set(
        actor=org.sales, customer=opted_out, channel="sms", status="withdrawn", source="form"
    )
    result = invitations_send(
        actor=org.sales, survey=survey, customers=[consenting, opted_out], channel="sms"
    )
    assert result.created == 2
    [campaign] = result.campaigns
    assert isinstance(campaign, Campaign) and campaign.purpose == "survey"
    sent = Recipient.objects.get(campaign=campaign, customer=consenting)
    invitation = Invitation.objects.get(customer=consenting)
    assert "/surveys/a/" in sent.body and invitation.sent_at is not None
    skipped = Recipient.objects.get(campaign=campaign, customer=opted_out)
    assert skipped.status == "skipped"
