"""Segments (客户分群): saved audiences of customers.

A ``Segment`` is either a rule (a condition in the lifecycle rule language,
``kehu.lifecycle.rules``, compiled to SQL by ``compile``) or a static list of
hand-picked customers (``SegmentMember``). Its sharing decides who sees it: private
(the owner), team (the owner's team) or shared (everyone who logs in); admins see all.
``SegmentSnapshot`` keeps its size once a day (the nightly job), for the chart.

``CustomerFacts`` holds, per customer, the order facts that only the lifecycle fact
table computes (windows of revenue and profit, the median gap between purchases) and
the times of the first and last purchase, refreshed by the nightly job: a segment's
count reads them as columns instead of folding ten million orders per count.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer


class Sharing(models.TextChoices):
    PRIVATE = "private", _("仅自己")
    TEAM = "team", _("本团队")
    SHARED = "shared", _("所有人")


class SegmentKind(models.TextChoices):
    RULE = "rule", _("按条件")
    STATIC = "static", _("静态名单")


class Segment(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    kind = models.CharField(
        _("类型"), max_length=8, choices=SegmentKind.choices, default=SegmentKind.RULE
    )
    rule = models.JSONField(_("条件"), null=True, blank=True)  # None for a static list
    sharing = models.CharField(
        _("共享范围"), max_length=8, choices=Sharing.choices, default=Sharing.PRIVATE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # None: a ready-made segment
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A ready-made segment's stable key (the eight RFM segments): ``rfm_important_value``.
    builtin = models.CharField(max_length=40, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("客户分群")
        verbose_name_plural = _("客户分群")
        constraints = [
            models.UniqueConstraint(
                fields=["builtin"], condition=~Q(builtin=""), name="segment_builtin_once"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMember(models.Model):
    """A customer hand-picked into a static list."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # served by segmentmember_customer
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        verbose_name = _("名单成员")
        verbose_name_plural = _("名单成员")
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segmentmember_once")
        ]
        indexes = [models.Index(fields=["customer"], name="segmentmember_customer")]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.customer_id}"


class SegmentSnapshot(models.Model):
    """A segment's size on a day (written once a day by the nightly job)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField(_("日期"))
    size = models.PositiveIntegerField(_("人数"))
    at = models.DateTimeField()

    class Meta:
        ordering = ["segment", "date"]
        verbose_name = _("分群人数快照")
        verbose_name_plural = _("分群人数快照")
        constraints = [
            models.UniqueConstraint(fields=["segment", "date"], name="segmentsnapshot_once")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.date}: {self.size}"


class CustomerFacts(models.Model):
    """A customer's order facts as of ``refreshed_at`` (see the module's docstring).
    Money in yuan, as the rule language reads it; NULL: unknown."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    refreshed_at = models.DateTimeField()
    orders_count = models.FloatField(null=True)
    revenue_total = models.FloatField(null=True)
    profit_total = models.FloatField(null=True)
    revenue_30d = models.FloatField(null=True)
    revenue_90d = models.FloatField(null=True)
    revenue_180d = models.FloatField(null=True)
    revenue_365d = models.FloatField(null=True)
    profit_30d = models.FloatField(null=True)
    profit_90d = models.FloatField(null=True)
    profit_180d = models.FloatField(null=True)
    profit_365d = models.FloatField(null=True)
    median_gap_days = models.FloatField(null=True)
    first_order_at = models.DateTimeField(null=True)
    last_order_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("客户订单事实")
        verbose_name_plural = _("客户订单事实")

    def __str__(self) -> str:
        return str(self.customer_id)


# The columns of ``CustomerFacts`` that are facts of the rule language, by name.
STORED_FACTS = (
    "orders_count",
    "revenue_total",
    "profit_total",
    "revenue_30d",
    "revenue_90d",
    "revenue_180d",
    "revenue_365d",
    "profit_30d",
    "profit_90d",
    "profit_180d",
    "profit_365d",
    "median_gap_days",
)
