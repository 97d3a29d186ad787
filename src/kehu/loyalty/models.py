"""Membership (会员): levels, members, the points ledger, gifts and earn rules.

A member's ``balance`` (积分余额), ``owed`` (欠分: refunded points that had been
spent), 12-month points and spend and level are kept on the ``Member`` row, written
with every ledger entry, never summed on a read; the nightly check recomputes them
from the ledger and reports any difference. The ledger (``PointEntry``) is signed:
``balance - owed`` is the sum of every entry's ``amount``. Entries that add points
(earn, grant) keep ``remaining``: what is left of them, spent oldest-expiring first.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer
from kehu.orders.models import Channel, Order, Product

ZERO = Decimal("0.00")


class LevelBasis(models.TextChoices):
    POINTS = "points", _("近12个月积分")
    SPEND = "spend", _("近12个月消费")


class Level(TimeStampedModel):
    """A membership level (会员等级): reached by points or spend over 12 months."""

    name = models.CharField(_("名称"), max_length=40, unique=True)
    min_points = models.PositiveIntegerField(_("积分门槛"), default=0)
    min_spend = models.DecimalField(_("消费门槛"), max_digits=14, decimal_places=2, default=ZERO)
    discount_percent = models.DecimalField(
        _("折扣（%）"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        help_text=_("会员价优惠的百分比，例如 5 表示 95 折"),
    )
    benefits = models.TextField(_("权益"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["min_points", "min_spend", "id"]
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="level_discount_percent_range",
            ),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="level_min_spend"),
        ]

    def __str__(self) -> str:
        return self.name


class EarnRuleKind(models.TextChoices):
    AMOUNT = "amount", _("按金额")
    PRODUCT = "product", _("按产品")
    CATEGORY = "category", _("按类别")
    CHANNEL = "channel", _("按渠道")
    BIRTHDAY = "birthday", _("生日")


class BirthdayScope(models.TextChoices):
    MONTH = "month", _("生日当月")
    DAY = "day", _("生日当天")


class EarnRule(TimeStampedModel):
    """How an order earns points (积分规则). ``amount`` rules give points per ¥1 (the
    highest active one counts); product and category rules multiply their lines,
    channel and birthday rules the whole order (the highest multiplier of each kind)."""

    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=EarnRuleKind.choices)
    points_per_yuan = models.DecimalField(
        _("每元积分"), max_digits=8, decimal_places=2, default=Decimal("1.00")
    )
    multiplier = models.DecimalField(
        _("倍数"), max_digits=6, decimal_places=2, default=Decimal("1.00")
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("产品"),
    )
    category = models.CharField(_("类别"), max_length=64, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, blank=True)
    birthday_scope = models.CharField(
        _("生日范围"), max_length=8, choices=BirthdayScope.choices, blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.CheckConstraint(condition=Q(points_per_yuan__gte=0), name="earn_rule_rate"),
            models.CheckConstraint(condition=Q(multiplier__gte=0), name="earn_rule_multiplier"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """The customer's membership; created on the first points or by hand."""

    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="member",
        verbose_name=_("客户"),
    )
    level = models.ForeignKey(
        Level,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("等级"),
    )
    balance = models.IntegerField(_("积分余额"), default=0)
    owed = models.IntegerField(_("欠分"), default=0)
    points_12m = models.IntegerField(_("近12个月积分"), default=0)
    spend_12m = models.DecimalField(
        _("近12个月消费"), max_digits=14, decimal_places=2, default=ZERO
    )
    earned_total = models.BigIntegerField(_("累计积分"), default=0)
    referral_code = models.CharField(_("推荐码"), max_length=12, unique=True)
    referred_by = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        verbose_name=_("推荐人"),
    )
    referral_rewarded_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(_("入会时间"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-joined_at", "customer_id"]
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        indexes = [models.Index(fields=["level", "-balance"], name="member_level_balance")]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="member_balance_not_negative"),
            models.CheckConstraint(condition=Q(owed__gte=0), name="member_owed_not_negative"),
            models.CheckConstraint(
                condition=Q(balance=0) | Q(owed=0), name="member_balance_or_owed"
            ),
        ]

    def __str__(self) -> str:
        return str(self.customer_id)

    @property
    def net(self) -> int:
        return self.balance - self.owed


class EntryKind(models.TextChoices):
    EARN = "earn", _("消费积分")
    REDEEM = "redeem", _("兑换")
    GRANT = "grant", _("手动赠送")
    DEDUCT = "deduct", _("手动扣减")
    EXPIRE = "expire", _("过期")
    REVERSE = "reverse", _("退款冲回")


# Kinds that add points (and keep ``remaining``).
ADDING = (EntryKind.EARN, EntryKind.GRANT)


class PointEntry(models.Model):
    """One line of the points ledger (积分流水). Earns and reversals name their order,
    grants and deductions their reason, redemptions what was redeemed."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    amount = models.IntegerField(_("积分"))
    kind = models.CharField(_("类型"), max_length=8, choices=EntryKind.choices)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("订单"),
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # A referral reward names the referred customer (rewarded once).
    referred = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redeemed_kind = models.CharField(max_length=20, blank=True)
    redeemed_ref = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(_("时间"))
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    remaining = models.IntegerField(default=0)
    # The money the entry counted toward the member's 12-month spend: an earn its
    # order's paid total, a reversal minus what the refund took back.
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        indexes = [
            models.Index(fields=["customer", "-at", "-id"], name="point_entry_customer_time"),
            models.Index(fields=["order"], name="point_entry_order"),
            models.Index(
                fields=["expires_at"],
                condition=Q(remaining__gt=0),
                name="point_entry_expiring",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="earn"), name="point_entry_earn_once"
            ),
            models.UniqueConstraint(
                fields=["referred"],
                condition=Q(referred__isnull=False),
                name="point_entry_referral_once",
            ),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="point_entry_remaining"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount:+d} {self.kind}"

    @property
    def delta(self) -> int:
        """The entry's points, signed (``amount`` counts points, not money)."""
        return self.amount


class Gift(TimeStampedModel):
    """A gift points buy (积分礼品). ``stock`` empty: unlimited."""

    name = models.CharField(_("名称"), max_length=100)
    points_cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    is_active = models.BooleanField(_("上架"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["points_cost", "name", "id"]
        verbose_name = _("积分礼品")
        verbose_name_plural = _("积分礼品")
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="gift_cost_positive")
        ]

    def __str__(self) -> str:
        return self.name
