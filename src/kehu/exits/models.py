"""Exits (客户退出) and win-back (赢回): why customers left, what they were worth, and
whether they came back.

An ``ExitRecord`` is written when a lifecycle rule (or a manual move) puts a customer
in a churned stage (``stage_entered``), or when someone records the exit by hand. It
keeps the reason from an editable taxonomy (``ExitReason``), the refunds and returns
involved, and a snapshot of the customer as it left: its value (lifetime value, the
last 12 months' revenue, star tier and 20/60/20 group), owner, team, source channel,
tenure and the products of its last purchase — what the exit analysis groups by, as
they were when the customer left. A paid order after the exit sets ``won_back_at``:
the exit is then closed. A customer has at most one open exit.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer

UNKNOWN = "unknown"  # the reason of an exit nobody has explained yet


class ExitReason(TimeStampedModel):
    """One reason of the taxonomy (退出原因), edited by admins. A reason in use is
    never deleted, only switched off (old exits keep it)."""

    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    addressable = models.BooleanField(
        _("可赢回"), default=True, help_text=_("因这个原因离开的客户值得尝试赢回")
    )
    requires_details = models.BooleanField(
        _("需填写说明"), default=False, help_text=_("记录这个原因时必须写明情况")
    )
    asks_competitor = models.BooleanField(
        _("需填写竞争对手"), default=False, help_text=_("记录这个原因时必须写明转向了哪家")
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("退出原因")
        verbose_name_plural = _("退出原因")

    def __str__(self) -> str:
        return self.name


class ExitSource(models.TextChoices):
    RULE = "rule", _("规则")
    MANUAL = "manual", _("手动")


class ExitRecord(models.Model):
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="exits",
        db_index=False,
    )  # served by exit_customer
    at = models.DateTimeField(_("退出时间"))
    # The first day of ``at``'s month in the business's time zone: what "by month"
    # groups by (a date truncation per row is a function call per row on SQLite).
    month = models.DateField(editable=False)
    reason = models.ForeignKey(
        ExitReason, verbose_name=_("退出原因"), on_delete=models.PROTECT, related_name="+"
    )
    competitor = models.CharField(_("竞争对手"), max_length=100, blank=True)
    details = models.TextField(
        _("说明"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    refunds = models.ManyToManyField(
        "orders.Refund", verbose_name=_("相关退款"), blank=True, related_name="+"
    )
    # The products of the customer's last purchase before leaving.
    products = models.ManyToManyField("orders.Product", blank=True, related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=ExitSource.choices)
    stage_change = models.ForeignKey(
        "lifecycle.StageChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer as it left.
    value_before = models.DecimalField(
        _("离开前价值"), max_digits=16, decimal_places=2, default=Decimal("0.00")
    )  # the lifetime value when scored, else the last 12 months' revenue
    clv = models.DecimalField(_("终身价值"), max_digits=16, decimal_places=2, null=True, blank=True)
    revenue_12m = models.DecimalField(
        _("近 12 个月消费"), max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    tier = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True)
    value_group = models.CharField(_("二八分组"), max_length=6, blank=True)
    tenure_days = models.PositiveIntegerField(_("合作天数"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("来源渠道"), max_length=20, blank=True)
    invitation = models.ForeignKey(
        "surveys.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # the exit interview (退出访谈)
    won_back_at = models.DateTimeField(_("赢回时间"), null=True, blank=True)
    won_back_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("退出记录")
        verbose_name_plural = _("退出记录")
        indexes = [
            models.Index(fields=["customer", "-at"], name="exit_customer"),
            models.Index(fields=["-at", "-id"], name="exit_at"),
            models.Index(
                fields=["-value_before", "id"],
                condition=Q(won_back_at__isnull=True),
                name="exit_open_value",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(won_back_at__isnull=True),
                name="exit_open_once",
                violation_error_message=_("该客户已有未结束的退出记录。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.won_back_at is None


class ExitSettings(models.Model):
    """The single row of exit settings (``exit_settings()`` creates it): the exit
    interview, the refund and return policy shown where refunds are recorded, and what
    makes a lost customer worth winning back."""

    survey = models.ForeignKey(
        "surveys.Survey",
        verbose_name=_("退出访谈问卷"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("客户退出时自动发送；留空则不发送"),
    )
    survey_channel = models.CharField(_("访谈发送渠道"), max_length=10, default="link")
    survey_delay_days = models.PositiveSmallIntegerField(
        _("退出后几天发送"), default=1, validators=[MaxValueValidator(90)]
    )
    refund_policy = models.TextField(
        _("退款政策"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    return_policy = models.TextField(
        _("退货政策"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    winback_min_value = models.DecimalField(
        _("赢回最低价值（元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("离开前价值低于此值的客户不列入赢回名单"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("退出设置")
        verbose_name_plural = _("退出设置")

    def __str__(self) -> str:
        return str(_("退出设置"))
