"""Acquisition channels compared (000 §2): what each source channel and campaign cost,
and what it brought, month by month.

``ChannelCost`` is typed in by people (a channel's spend in a month, optionally for one
campaign). ``ChannelMonth`` is computed each night (``kehu.channels.summaries``): per
month, channel, campaign and team, the leads and how far they went, and the customers
won with their first order, predicted value and repeat purchases. The pages and the API
add up these rows and the new records since (``kehu.channels.selectors``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.customers.models import SourceChannel


class ChannelCost(models.Model):
    """Money spent on a channel (and campaign) in a month (渠道成本)."""

    channel = models.CharField(_("渠道"), max_length=20, choices=SourceChannel.choices)
    campaign = models.ForeignKey(
        "messaging.Campaign",
        verbose_name=_("营销活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.DateField(_("月份"))  # its first day
    amount = models.DecimalField(
        _("金额"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("渠道成本")
        verbose_name_plural = _("渠道成本")
        ordering = ["-month", "channel", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "month"],
                condition=Q(campaign__isnull=True),
                name="channelcost_once",
                violation_error_message=_("这个渠道这个月已经有成本记录，请修改那一条。"),
            ),
            models.UniqueConstraint(
                fields=["channel", "campaign", "month"],
                condition=Q(campaign__isnull=False),
                name="channelcost_campaign_once",
                violation_error_message=_("这个活动这个月已经有成本记录，请修改那一条。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}"


class ChannelMonth(models.Model):
    """What one channel, campaign and team brought in one month (nightly)."""

    month = models.DateField()
    channel = models.CharField(max_length=20, blank=True)
    campaign = models.ForeignKey(
        "messaging.Campaign", null=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, on_delete=models.CASCADE, related_name="+")
    # Leads created in the month, and how far they have gone since.
    leads = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    qualified = models.PositiveIntegerField(default=0)
    converted = models.PositiveIntegerField(default=0)
    lead_opportunities = models.PositiveIntegerField(default=0)
    lead_won = models.PositiveIntegerField(default=0)
    lead_repeat = models.PositiveIntegerField(default=0)
    # Customers created in the month.
    customers = models.PositiveIntegerField(default=0)
    buyers = models.PositiveIntegerField(default=0)
    first_order_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    clv = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    repeat_buyers = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="channelmonth_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel}"


class ChannelSummaryRun(models.Model):
    """One nightly pass: the months it wrote, and the last customer and lead it read
    (records after them are counted live)."""

    finished_at = models.DateTimeField()
    months_from = models.DateField()
    last_customer_id = models.BigIntegerField(default=0)
    last_lead_id = models.BigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M}"
