"""``message_to_customers``: one recipient per customer, queued or skipped with why."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from kehu.core.errors import NotAllowedError
from kehu.messaging import sending
from kehu.messaging.models import (
    Campaign,
    CampaignStatus,
    Channel,
    ConsentSource,
    ConsentStatus,
    Delivery,
    Recipient,
    RecipientStatus,
    SkipReason,
    SmsLog,
)
from kehu.messaging.selectors import campaign_progress
from kehu.messaging.services import consent_set, message_to_customers
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def _send(**kwargs):
    defaults = {
        "actor": None,
        "channel": Channel.SMS,
        "body": "{称呼}您好，中秋快乐！",
        "name": "中秋问候",
        "purpose": "care",
    }
    return message_to_customers(**{**defaults, **kwargs})


def test_queues_one_rendered_message_per_customer_and_sends_it(
    org, django_capture_on_commit_callbacks
):
    wang = consenting_customer(org.sales, name="王小明", gender="male", phones=("+8613800138000",))
    li = consenting_customer(org.sales, name="欧阳娜", gender="female", phones=("+8613900139000",))
    with django_capture_on_commit_callbacks(execute=True):
        campaign = _send(customer_ids=[wang.pk, li.pk, wang.pk])
    assert isinstance(campaign, Campaign)
    bodies = {log.to: log.body for log in SmsLog.objects.all()}
    assert bodies == {
        "+8613800138000": "王先生您好，中秋快乐！ 回T退订",
        "+8613900139000": "欧阳女士您好，中秋快乐！ 回T退订",
    }
    assert Delivery.objects.count() == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    assert campaign_progress(campaign).sent == 2


def test_opted_out_and_unreachable_customers_are_skipped_and_counted(org):
    ok = consenting_customer(org.sales, name="甲", phones=("+8613800138000",))
    withdrawn = consenting_customer(org.sales, name="乙", status=ConsentStatus.WITHDRAWN)
    never_asked = make_customer(org.sales, name="丙", phones=("+8613700137000",))
    no_phone = consenting_customer(org.sales, name="丁", phones=())
    campaign = _send(customer_ids=[ok.pk, withdrawn.pk, never_asked.pk, no_phone.pk])
    reasons = dict(Recipient.objects.filter(campaign=campaign).values_list("customer_id", "reason"))
    assert reasons == {
        ok.pk: "",
        withdrawn.pk: SkipReason.WITHDRAWN,
        never_asked.pk: SkipReason.NO_CONSENT,
        no_phone.pk: SkipReason.NO_ADDRESS,
    }
    sending.recipients_send(campaign_id=campaign.pk)
    progress = campaign_progress(campaign)
    assert (progress.sent, progress.skipped) == (1, 3)
    assert progress.skipped_by_reason == {"withdrawn": 1, "no_consent": 1, "no_address": 1}
    assert [log.to for log in SmsLog.objects.all()] == ["+8613800138000"]


def test_service_messages_reach_never_asked_customers_but_not_opted_out_ones(org):
    never_asked = make_customer(org.sales, name="丙", phones=("+8613700137000",))
    withdrawn = consenting_customer(org.sales, name="乙", status=ConsentStatus.WITHDRAWN)
    campaign = _send(customer_ids=[never_asked.pk, withdrawn.pk], purpose="incident")
    statuses = dict(
        Recipient.objects.filter(campaign=campaign).values_list("customer_id", "status")
    )
    assert statuses == {
        never_asked.pk: RecipientStatus.QUEUED,
        withdrawn.pk: RecipientStatus.SKIPPED,
    }


def test_unknown_placeholder_is_refused_naming_it(org):
    customer = consenting_customer(org.sales)
    with pytest.raises(ValidationError) as raised:
        _send(customer_ids=[customer.pk], body="{称呼}您好 {优惠码}")
    assert "{优惠码}" in str(raised.value.message_dict["body"])
    assert not Campaign.objects.exists()


def test_unknown_channel_is_refused(org):
    with pytest.raises(ValidationError):
        _send(customer_ids=[], channel="fax")


def test_extra_keys_fill_per_customer_and_a_missing_one_skips(org):
    a = consenting_customer(org.sales, name="甲")
    b = consenting_customer(org.sales, name="乙", phones=("+8613900139000",))
    campaign = _send(
        customer_ids=[a.pk, b.pk],
        body="请评价：{链接}",
        purpose="survey",
        extra={a.pk: {"链接": "https://x.test/s/1"}},
    )
    rows = {r.customer_id: r for r in Recipient.objects.filter(campaign=campaign)}
    assert rows[a.pk].body == "请评价：https://x.test/s/1 回T退订"
    assert (rows[b.pk].reason, rows[b.pk].detail) == (SkipReason.MISSING_DATA, "{链接}")


def test_email_carries_an_unsubscribe_link_and_headers(org):
    customer = consenting_customer(
        org.sales, name="王小明", gender="male", email="wang@example.com"
    )
    campaign = _send(
        customer_ids=[customer.pk],
        channel=Channel.EMAIL,
        subject="{姓名}，节日快乐",
        body="{称呼}：您好",
    )
    sending.recipients_send(campaign_id=campaign.pk)
    (message,) = mail.outbox
    assert message.subject == "王小明，节日快乐"
    assert message.body.startswith("王先生：您好")
    assert "/messages/unsubscribe/" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")


def test_a_sender_reaches_only_customers_they_may_message(org):
    own = consenting_customer(org.sales, name="自己的")
    colleague = consenting_customer(org.east_sales2, name="同事的")
    pool = consenting_customer(None, name="公海的")
    campaign = _send(actor=org.sales, customer_ids=[own.pk, colleague.pk, pool.pk])
    assert list(
        Recipient.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
    ) == [own.pk]


@pytest.mark.parametrize("role", ["analyst"])
def test_analysts_may_not_send(org, role):
    customer = consenting_customer(org.sales)
    with pytest.raises(NotAllowedError):
        _send(actor=getattr(org, role), customer_ids=[customer.pk])


def test_service_may_send_incident_and_survey_only(org):
    customer = consenting_customer(org.sales)
    assert _send(actor=org.service, customer_ids=[customer.pk], purpose="incident").pk
    with pytest.raises(NotAllowedError):
        _send(actor=org.service, customer_ids=[customer.pk], purpose="marketing")


def test_withdrawal_after_queueing_is_honoured_at_send_time(org):
    customer = consenting_customer(org.sales)
    campaign = _send(customer_ids=[customer.pk])
    consent_set(
        actor=None,
        customer=customer,
        channel=Channel.SMS,
        status=ConsentStatus.WITHDRAWN,
        source=ConsentSource.REPLY,
    )
    sending.recipients_send(campaign_id=campaign.pk)
    row = Recipient.objects.get(campaign=campaign)
    assert (row.status, row.reason) == (RecipientStatus.SKIPPED, SkipReason.WITHDRAWN)
    assert not SmsLog.objects.exists()
