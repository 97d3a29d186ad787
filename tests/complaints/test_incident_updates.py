"""One update to every customer affected by an incident, through kehu.messaging, and
on each customer's timeline. (Needs ``message_to_customers`` from the messaging app.)"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.complaints.models import ComplaintStep, IncidentUpdate, StepKind
from kehu.complaints.services import complaint_update, incident_create, incident_update_send
from kehu.customers.timeline import customer_timeline
from kehu.messaging.models import Campaign, Recipient
from tests.complaints.factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(org, book):
    incident = incident_create(actor=org.service, data={"title": "批次A受潮", "cause": "仓库漏水"})
    for key in ("own", "own", "west"):  # two complaints of one customer, one of another
        complaint = make_complaint(org.service, book[key])
        complaint_update(
            actor=org.service,
            complaint=complaint,
            version=complaint.version,
            data={"incident_id": incident.pk},
        )
    make_complaint(org.service, book["other"])  # not under the incident
    return incident


def test_one_update_reaches_every_affected_customer_once(org, book, incident):
    update = incident_update_send(
        actor=org.service, incident=incident, channel="sms", body="{称呼}您好，批次A已全部召回。"
    )
    assert update.customer_count == 2
    campaign = Campaign.objects.get(pk=update.campaign_id)
    assert campaign.purpose == "incident" and campaign.channel == "sms"
    recipients = set(
        Recipient.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
    )
    assert recipients == {book["own"].pk, book["west"].pk}
    steps = ComplaintStep.objects.filter(kind=StepKind.INCIDENT_UPDATE)
    assert sorted(s.complaint.customer_id for s in steps) == sorted(
        [book["own"].pk, book["west"].pk]
    )
    for key in ("own", "west"):
        events = customer_timeline(book[key], kinds=["complaint"], limit=50).events
        assert sum("危机通报" in e.title for e in events) == 1
    assert (
        not customer_timeline(book["other"], kinds=["complaint"]).events[0].title.startswith("危机")
    )


def test_bad_updates_record_nothing(org, book, incident):
    with pytest.raises(ValidationError):
        incident_update_send(actor=org.service, incident=incident, channel="fax", body="x")
    with pytest.raises(ValidationError):
        incident_update_send(actor=org.service, incident=incident, channel="sms", body="")
    with pytest.raises(ValidationError):
        incident_update_send(actor=org.service, incident=incident, channel="sms", body="{未知}")
    empty = incident_create(actor=org.service, data={"title": "无人受影响"})
    with pytest.raises(ValidationError):
        incident_update_send(actor=org.service, incident=empty, channel="sms", body="通报")
    with pytest.raises(PermissionDenied):
        incident_update_send(actor=org.manager, incident=incident, channel="sms", body="通报")
    assert not IncidentUpdate.objects.exists() and not Campaign.objects.exists()
    assert not ComplaintStep.objects.filter(kind=StepKind.INCIDENT_UPDATE).exists()


def test_update_from_the_incident_page(client, org, incident):
    url = reverse("complaints:incident_update", args=[incident.pk])
    client.force_login(org.manager)
    assert client.post(url, {"channel": "sms", "body": "通报"}).status_code == 403
    client.force_login(org.service)
    response = client.post(url, {"channel": "email", "subject": "召回通知", "body": "批次A召回"})
    assert response.status_code == 302
    html = client.get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert "批次A召回" in html
    bad = client.post(url, {"channel": "sms", "body": ""})
    assert bad.status_code == 422
    assert IncidentUpdate.objects.count() == 1


def test_the_update_on_a_complaint_reads_in_its_readers_language(org, book, incident):
    from django.utils import translation

    incident_update_send(actor=org.service, incident=incident, channel="sms", body="已召回")
    step = ComplaintStep.objects.filter(kind=StepKind.INCIDENT_UPDATE).first()
    assert (step.note, step.params) == ("", {"channel": "sms", "body": "已召回"})
    assert step.note_text == "危机通报（短信）：已召回"
    with translation.override("en"):
        assert step.note_text == "Incident update (SMS): 已召回"
