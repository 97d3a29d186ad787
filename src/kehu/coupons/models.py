"""Coupon templates (优惠券模板) and the coupons issued from them (优惠券).

A template says what a coupon is worth (an amount off, or a percentage off), from
which order amount (the threshold, 使用门槛), on which products (none: the whole
order), for how long (fixed dates, or N days from the day it is issued) and how many
one customer may hold. A coupon is one customer's, with a unique short code; its
validity is copied from the template when it is issued, so changing a template
later never changes coupons already given out.

A coupon is redeemed once: ``redeemed_at`` and ``order`` are set together by a
conditional UPDATE (``WHERE redeemed_at IS NULL``) and never cleared — a refund or a
cancellation of the order does not give the coupon back (see ``redemption``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer
from kehu.orders.models import Order, Product


class CouponKind(models.TextChoices):
    AMOUNT = "amount", _("满减（减金额）")
    PERCENT = "percent", _("折扣（减百分比）")


class CouponSource(models.TextChoices):
    """How a coupon came to its customer."""

    SEGMENT = "segment", _("客户分群")
    CAMPAIGN = "campaign", _("群发")
    PLAYBOOK = "playbook", _("挽留方案")
    POINTS = "points", _("积分兑换")
    HAND = "hand", _("手动发放")


class CouponTemplate(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=10, choices=CouponKind.choices, default=CouponKind.AMOUNT
    )
    # An amount in the currency (20.00: ¥20 off), or a percentage (15.00: 15 % off).
    value = models.DecimalField(_("面值"), max_digits=14, decimal_places=2)
    threshold = models.DecimalField(
        _("使用门槛"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("订单（或适用商品）金额至少为多少才能使用；0 表示无门槛"),
    )
    products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="+",
        verbose_name=_("适用商品"),
        help_text=_("留空表示全部商品"),
    )
    valid_from = models.DateTimeField(_("生效时间"), null=True, blank=True)
    valid_until = models.DateTimeField(_("失效时间"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(
        _("领取后有效天数"),
        null=True,
        blank=True,
        help_text=_("填写则自发放起计算有效期，否则用固定的生效、失效时间"),
    )
    per_customer_limit = models.PositiveIntegerField(
        _("每位客户限领"), default=1, help_text=_("0 表示不限")
    )
    # Points a member pays for one (积分兑换, the loyalty app); empty: not for points.
    points_cost = models.PositiveIntegerField(
        _("积分兑换价"), null=True, blank=True, help_text=_("留空表示不能用积分兑换")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-is_active", "-created_at", "-id"]
        verbose_name = _("优惠券模板")
        verbose_name_plural = _("优惠券模板")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_template_value"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="coupon_template_percent",
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="coupon_template_threshold"),
            models.CheckConstraint(
                condition=Q(valid_days__isnull=False) | Q(valid_until__isnull=False),
                name="coupon_template_validity",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("模板")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="coupons",
        verbose_name=_("客户"),
        db_index=False,  # served by coupon_customer_issued
    )
    code = models.CharField(_("券码"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("发放时间"))
    valid_from = models.DateTimeField(_("生效时间"), null=True, blank=True)
    valid_until = models.DateTimeField(_("失效时间"))
    source = models.CharField(_("来源"), max_length=10, choices=CouponSource.choices)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    redeemed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("订单"),
    )
    # What the coupon took off the order, worked out when it was redeemed.
    discount = models.DecimalField(
        _("优惠金额"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        indexes = [
            models.Index(fields=["customer", "-issued_at"], name="coupon_customer_issued"),
            models.Index(fields=["template", "redeemed_at"], name="coupon_template_redeemed"),
        ]
        constraints = [
            # One coupon per order.
            models.UniqueConstraint(
                fields=["order"], condition=Q(order__isnull=False), name="coupon_order_once"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_redeemed(self) -> bool:
        return self.redeemed_at is not None

    @property
    def is_expired(self) -> bool:
        return self.redeemed_at is None and self.valid_until <= timezone.now()

    @property
    def status(self) -> str:
        if self.redeemed_at is not None:
            return "redeemed"
        if self.valid_until <= timezone.now():
            return "expired"
        if self.valid_from is not None and self.valid_from > timezone.now():
            return "pending"
        return "usable"
