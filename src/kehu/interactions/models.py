"""Every touch between the business and a customer (跟进记录): calls, visits, e-mail,
SMS, WeChat, meetings, events."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Contact, Customer


class InteractionKind(models.TextChoices):
    CALL = "call", _("电话")
    VISIT = "visit", _("拜访")
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")
    MEETING = "meeting", _("会议")
    EVENT = "event", _("活动")
    OTHER = "other", _("其他")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("我方发起")
    INBOUND = "inbound", _("客户发起")


class Interaction(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("方式"), max_length=10, choices=InteractionKind.choices)
    direction = models.CharField(
        _("方向"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("时间"))
    duration_minutes = models.PositiveIntegerField(_("时长（分钟）"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=200, blank=True)
    notes = models.TextField(
        _("内容"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    next_step = models.CharField(_("下一步"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline"),
            models.Index(fields=["user", "-occurred_at"], name="interaction_user"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.occurred_at:%Y-%m-%d}"
