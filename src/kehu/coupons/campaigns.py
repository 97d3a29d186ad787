"""A campaign that gives a coupon (群发优惠券): one coupon to each customer and one
message carrying its code, through the messaging app's own sending.

The messaging app sits below coupons and knows nothing of them; its
``message_to_customers`` takes per-customer placeholder values (``extra``), which is
the seam: the coupons are issued first (source ``campaign``), each customer's code
goes into ``{券码}`` (and its last day into ``{有效期至}``), and the campaign's id is
written back on the coupons — all in one transaction. Customers the sender may not
message, or who have not consented to the channel, still get their coupon (it shows
on their card and works at the counter); the campaign reports them as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.coupons.models import Coupon, CouponSource, CouponTemplate
from kehu.coupons.services import IssueResult, coupon_issue_result
from kehu.messaging.models import Campaign, Purpose
from kehu.messaging.services import message_to_customers

CODE_KEY = "券码"
UNTIL_KEY = "有效期至"


@transaction.atomic
def coupon_campaign_send(
    *,
    actor: User,
    template: CouponTemplate,
    customer_ids: Sequence[int],
    channel: str,
    body: str,
    subject: str = "",
    name: str = "",
) -> tuple[Campaign, IssueResult]:
    """Issue a coupon of ``template`` to each customer and message them its code.
    ``body`` must carry ``{券码}``. Refused (nothing issued, nothing sent) when no
    customer gets a coupon, or the message is not one the sender may send."""
    if "{" + CODE_KEY + "}" not in body:
        raise ValidationError({"body": [_("正文需要包含 {券码}，客户才知道自己的券码。")]})
    result = coupon_issue_result(
        actor=actor, template=template, customer_ids=customer_ids, source=CouponSource.CAMPAIGN
    )
    if not result.coupons:
        raise ValidationError(_("没有客户可以获得这张优惠券（都已达到限领数量）。"))
    extra = {
        coupon.customer_id: {
            CODE_KEY: coupon.code,
            UNTIL_KEY: timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d"),
        }
        for coupon in result.coupons
    }
    campaign = message_to_customers(
        actor=actor,
        customer_ids=list(extra),
        channel=channel,
        body=body,
        subject=subject,
        name=name or template.name,
        purpose=Purpose.MARKETING,
        extra=extra,
    )
    Coupon.objects.filter(pk__in=[c.pk for c in result.coupons]).update(source_id=campaign.pk)
    for coupon in result.coupons:
        coupon.source_id = campaign.pk
    return campaign, result
