"""Messages to one or many customers (节假日群发): templates, consent, campaigns.

A campaign (``Campaign``) has one ``Recipient`` row per customer, created at once with
the rendered text and either ``queued`` or ``skipped`` with the reason. The sending job
claims queued recipients in small batches with a lease and marks each one sent in the
same transaction that records its ``Delivery`` (one per recipient, unique): a send
interrupted half-way resumes with whoever is still queued.

Consent (PIPL 个人信息保护法): ``Consent`` is the current state per customer and
channel, ``ConsentEvent`` the history (who, when, from where).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class Purpose(models.TextChoices):
    """Why a message is sent; decides which consent it needs (see ``consent.py``)."""

    MARKETING = "marketing", _("营销/节日群发")
    CARE = "care", _("客户关怀")
    INCIDENT = "incident", _("服务通知/事件通报")
    SURVEY = "survey", _("满意度调查")


class MessageTemplate(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("邮件主题"), max_length=200, blank=True)
    body = models.TextField(_("正文"), max_length=5000, validators=[MaxLengthValidator(5000)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from kehu.messaging.placeholders import template_validate

        template_validate(subject=self.subject, body=self.body)


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("已同意")
    WITHDRAWN = "withdrawn", _("已退订")


class ConsentSource(models.TextChoices):
    FORM = "form", _("表单")
    API = "api", _("API")
    IMPORT = "import", _("导入")
    REPLY = "reply", _("客户回复")
    UNSUBSCRIBE = "unsubscribe", _("退订链接")


class Consent(models.Model):
    """The customer's current consent on one channel (absent = never asked)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    source = models.CharField(max_length=12, choices=ConsentSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="consent_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.status}"


class ConsentEvent(models.Model):
    """One change of consent, kept for ever (the evidence PIPL asks for)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    source = models.CharField(max_length=12, choices=ConsentSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="consent_event_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.status} {self.at}"


class CampaignStatus(models.TextChoices):
    SENDING = "sending", _("发送中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=200)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(
        _("用途"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(_("邮件主题"), max_length=200, blank=True)
    body = models.TextField(_("正文"), max_length=5000)
    audience = models.JSONField(default=dict, blank=True)  # how recipients were chosen
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.SENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("群发")
        verbose_name_plural = _("群发")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="campaign_creator")]

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")
    SKIPPED = "skipped", _("已跳过")


class SkipReason(models.TextChoices):
    NONE = "", ""
    NO_CONSENT = "no_consent", _("未同意接收")
    WITHDRAWN = "withdrawn", _("已退订")
    NO_ADDRESS = "no_address", _("没有邮箱/手机号")
    MISSING_DATA = "missing_data", _("缺少模板所需数据")
    GATEWAY = "gateway", _("发送失败")
    INTERRUPTED = "interrupted", _("发送中断，结果未知，未重发")
    CANCELLED = "cancelled", _("群发已取消")


class Recipient(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    reason = models.CharField(max_length=12, choices=SkipReason.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="recipient_once")
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="recipient_campaign_status"),
            models.Index(fields=["status", "id"], name="recipient_outbox"),
            models.Index(fields=["customer", "-sent_at"], name="recipient_customer_sent"),
            models.Index(fields=["claim"], name="recipient_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.status}"


class Delivery(models.Model):
    """The proof a recipient's message went out: at most one per recipient."""

    recipient = models.OneToOneField(Recipient, on_delete=models.CASCADE, related_name="delivery")
    backend = models.CharField(max_length=50)
    reference = models.CharField(max_length=100, blank=True)  # the gateway's message id
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.at}"


class SmsLog(models.Model):
    """What the logging SMS backend "sent" (no network). Deliberately not unique: it
    stands for the outside world, where a duplicate would show."""

    to = models.CharField(max_length=32)
    body = models.TextField()
    key = models.CharField(max_length=64, db_index=True)  # the idempotency key
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.to} {self.at}"
