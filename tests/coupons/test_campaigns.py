"""A campaign that gives a coupon: issued first, each code in its customer's message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kehu.coupons.campaigns import coupon_campaign_send
from kehu.coupons.models import Coupon
from kehu.messaging.models import Channel, SmsLog
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def test_each_customer_gets_a_coupon_and_a_message_with_its_code(
    org, template, django_capture_on_commit_callbacks
):
    wang = consenting_customer(org.sales, name="王小明", phones=("+8613800138000",))
    quiet = make_customer(org.sales, name="未同意")  # no consent: coupon yes, message no
    with django_capture_on_commit_callbacks(execute=True):
        campaign, result = coupon_campaign_send(
            actor=org.manager,
            template=template,
            customer_ids=[wang.pk, quiet.pk],
            channel=Channel.SMS,
            body="送您一张券：{券码}，{有效期至}前有效",
            name="春季券",
        )
    coupons = {c.customer_id: c for c in Coupon.objects.all()}
    assert set(coupons) == {wang.pk, quiet.pk}
    assert {(c.source, c.source_id) for c in coupons.values()} == {("campaign", campaign.pk)}
    [log] = SmsLog.objects.all()
    assert log.to == "+8613800138000" and coupons[wang.pk].code in log.body
    assert len(result.coupons) == 2


def test_a_body_without_the_code_is_refused_and_nothing_issued(org, template):
    customer = consenting_customer(org.sales)
    with pytest.raises(ValidationError, match="券码"):
        coupon_campaign_send(
            actor=org.manager,
            template=template,
            customer_ids=[customer.pk],
            channel=Channel.SMS,
            body="春天到了",
        )
    assert not Coupon.objects.exists()


def test_a_refused_message_takes_the_coupons_back(org, template):
    customer = consenting_customer(org.sales)
    with pytest.raises(ValidationError):
        coupon_campaign_send(
            actor=org.manager,
            template=template,
            customer_ids=[customer.pk],
            channel=Channel.SMS,
            body="{券码} {没有这个}",
        )
    assert not Coupon.objects.exists()


def test_the_template_page_sends_a_coupon_campaign(client, org, template):
    from django.urls import reverse

    from kehu.segments.models import Sharing
    from kehu.segments.services import members_add, segment_create

    customer = consenting_customer(org.sales, name="王小明")
    segment = segment_create(
        actor=org.admin, data={"name": "名单", "kind": "static", "sharing": Sharing.SHARED}
    )
    members_add(actor=org.admin, segment=segment, customer_ids=[customer.pk])
    client.force_login(org.manager)
    page = client.get(reverse("coupons:detail", args=[template.pk]))
    assert "coupon-campaign" in page.text
    response = client.post(
        reverse("coupons:campaign", args=[template.pk]),
        {"segment": segment.pk, "channel": "sms", "subject": "", "body": "券码 {券码}"},
    )
    coupon = Coupon.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/messages/{coupon.source_id}/"
    )
    client.force_login(org.analyst)
    refused = client.post(
        reverse("coupons:campaign", args=[template.pk]),
        {"segment": segment.pk, "channel": "sms", "body": "券码 {券码}"},
    )
    assert refused.status_code == 403
