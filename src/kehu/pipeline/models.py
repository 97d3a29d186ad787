"""Opportunities (商机) through the four phases of the selling process (营销过程, seed 004):
兴趣需求收集 interest and needs → 方案设计 solution design → 营销 selling → 跟踪
follow-through, then won (an order is recorded) or lost (with a reason).

The phases and the loss reasons are rows the business edits (the Django admin): names,
order and each phase's default probability. An opportunity's probability is its phase's
unless someone set one (``probability``); a move to another phase goes back to that
phase's. Every move is a ``PhaseChange`` with the time spent in the phase left.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer
from kehu.orders.models import Order, Product

# The names the data migration ships (0002_seed_phases), translated while unchanged.
SHIPPED = frozenset(
    (
        gettext_noop("兴趣需求收集"),
        gettext_noop("方案设计"),
        gettext_noop("营销"),
        gettext_noop("跟踪"),
        gettext_noop("价格太高"),
        gettext_noop("选择了竞争对手"),
        gettext_noop("需求变化"),
        gettext_noop("预算不足"),
        gettext_noop("失去联系"),
        gettext_noop("其他"),
    )
)


def shipped_label(name: str) -> str:
    """A shipped name in the reader's language; a business's own name as it is."""
    return gettext(name) if name in SHIPPED else name


class Phase(models.Model):
    """A column of the board. ``key`` names the four shipped phases for code and data
    migrations; a phase a business adds gets a key of its own."""

    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("默认赢单概率（%）"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("销售阶段")
        verbose_name_plural = _("销售阶段")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return shipped_label(self.name)


class LossReason(models.Model):
    """Why an opportunity was lost (丢单原因): an editable list."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("丢单原因")
        verbose_name_plural = _("丢单原因")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return shipped_label(self.name)


class Status(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("丢单")


class Opportunity(TimeStampedModel):
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="opportunities",
        db_index=False,  # served by opportunity_customer
    )
    name = models.CharField(_("名称"), max_length=200)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    phase = models.ForeignKey(
        Phase, verbose_name=_("阶段"), on_delete=models.PROTECT, related_name="opportunities"
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    # Set by someone; null: the phase's default.
    probability = models.PositiveSmallIntegerField(
        _("赢单概率（%）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    expected_close_date = models.DateField(_("预计成交日期"), null=True, blank=True)
    competitors = models.CharField(_("竞争对手"), max_length=500, blank=True)
    next_step = models.CharField(_("下一步"), max_length=500, blank=True)
    notes = models.TextField(
        _("备注"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    phase_entered_at = models.DateTimeField(_("进入阶段时间"), default=timezone.now)
    # Any change of the opportunity, and a touch logged with its customer.
    last_activity_at = models.DateTimeField(_("最近活动"), default=timezone.now)
    # The sent-marker of the stale flag: the ``last_activity_at`` it was flagged for.
    stale_flagged_for = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    loss_reason = models.ForeignKey(
        LossReason,
        verbose_name=_("丢单原因"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    loss_note = models.CharField(_("丢单说明"), max_length=500, blank=True)
    order = models.ForeignKey(
        Order,
        verbose_name=_("成交订单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        indexes = [
            models.Index(fields=["customer", "-id"], name="opportunity_customer"),
            # The board and the list by owner or team; the forecast by close month.
            models.Index(
                fields=["owner", "status", "phase"],
                name="opportunity_owner",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["team", "status", "phase"],
                name="opportunity_team",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["status", "expected_close_date"],
                name="opportunity_close",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["last_activity_at"],
                name="opportunity_activity",
                condition=Q(status="open", deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def effective_probability(self) -> int:
        """The probability in %: won 100, lost 0, else set or the phase's."""
        if self.status == Status.WON:
            return 100
        if self.status == Status.LOST:
            return 0
        return self.probability if self.probability is not None else self.phase.probability

    @property
    def weighted_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return (self.amount * self.effective_probability / 100).quantize(Decimal("0.01"))

    def is_stale(self, now: dt.datetime | None = None, days: int | None = None) -> bool:
        """Open and untouched for ``KEHU_OPPORTUNITY_STALE_DAYS`` days (the badge)."""
        if not self.is_open:
            return False
        limit = days if days is not None else settings.KEHU_OPPORTUNITY_STALE_DAYS
        return self.last_activity_at < (now or timezone.now()) - dt.timedelta(days=limit)


class OpportunityLine(models.Model):
    """A product the opportunity is about, at the price offered; the won order's lines."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("单价"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "position"], name="opportunityline_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}#{self.position}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class PhaseChange(models.Model):
    """One move: from which phase (or status) to which, when, by whom, and how long
    the opportunity had been in the phase it left."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="phase_changes"
    )
    from_phase = models.ForeignKey(
        Phase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_phase = models.ForeignKey(
        Phase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=8, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=8, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How long the opportunity was in ``from_phase`` (null for the first row).
    seconds_in_phase = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["opportunity", "at"], name="phasechange_opportunity")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_phase_id} → {self.to_phase_id}"

    @property
    def time_in_phase(self) -> dt.timedelta | None:
        if self.seconds_in_phase is None:
            return None
        return dt.timedelta(seconds=self.seconds_in_phase)
