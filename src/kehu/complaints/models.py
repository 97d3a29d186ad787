"""Complaints (投诉) with deadlines and escalation, and crisis events (危机).

A complaint moves received → recorded → handling → feedback → closed (see
``services.TRANSITIONS``); each move is a ``ComplaintStep``. Deadlines come from
``ComplaintDeadline`` (per severity, editable by admins): the first response (the
complaint reaches *handling*) and the resolution (feedback given to the customer).
``due_kind``/``due_at`` hold the deadline the complaint is waiting for now, so the
queue sorts and filters on an index and the escalation job reads only overdue rows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.core.texts import TextJSONEncoder, message_render
from kehu.customers.models import Customer
from kehu.orders.models import Order, Product


class Channel(models.TextChoices):
    """Where the complaint came in (受理渠道)."""

    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    STORE = "store", _("门店")
    WEB_FORM = "web_form", _("网页表单")
    OTHER = "other", _("其他")


class Category(models.TextChoices):
    QUALITY = "quality", _("产品质量")
    SERVICE = "service", _("服务态度")
    DELIVERY = "delivery", _("物流配送")
    BILLING = "billing", _("价格与收费")
    AFTER_SALES = "after_sales", _("售后维修")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    CRITICAL = "critical", _("紧急")


class Status(models.TextChoices):
    RECEIVED = "received", _("已接收")
    RECORDED = "recorded", _("已登记")
    HANDLING = "handling", _("处理中")
    FEEDBACK = "feedback", _("已反馈客户")
    CLOSED = "closed", _("已关闭")


class DeadlineKind(models.TextChoices):
    RESPONSE = "response", _("首次响应")
    RESOLUTION = "resolution", _("解决")


class StepKind(models.TextChoices):
    CREATED = "created", _("登记投诉")
    TRANSITION = "transition", _("状态变更")
    CHANGE = "change", _("修改")
    INCIDENT_UPDATE = "incident_update", _("危机通报")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    MONITORING = "monitoring", _("观察中")
    RESOLVED = "resolved", _("已解决")


class UpdateChannel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class ComplaintDeadline(models.Model):
    """The deadlines of one severity (hours from receipt) and when admins hear of an
    overdue complaint (hours after the deadline passed; its manager hears at once)."""

    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, unique=True)
    response_hours = models.PositiveIntegerField(
        _("首次响应时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    resolution_hours = models.PositiveIntegerField(
        _("解决时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    admin_after_hours = models.PositiveIntegerField(
        _("超时多久后升级到管理员（小时）"),
        validators=[MinValueValidator(0), MaxValueValidator(24 * 365)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("投诉处理时限")
        verbose_name_plural = _("投诉处理时限")
        ordering = ["response_hours"]

    def __str__(self) -> str:
        return str(self.get_severity_display())

    @property
    def response(self) -> dt.timedelta:
        return dt.timedelta(hours=self.response_hours)

    @property
    def resolution(self) -> dt.timedelta:
        return dt.timedelta(hours=self.resolution_hours)

    @property
    def admin_after(self) -> dt.timedelta:
        return dt.timedelta(hours=self.admin_after_hours)


class Incident(TimeStampedModel):
    """A crisis (危机): many complaints about one cause under one status."""

    title = models.CharField(_("标题"), max_length=200)
    cause = models.CharField(_("原因"), max_length=200, blank=True)
    description = models.TextField(
        _("说明"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("危机事件")
        verbose_name_plural = _("危机事件")
        indexes = [models.Index(fields=["status", "-created_at"], name="incident_status")]

    def __str__(self) -> str:
        return self.title


class Complaint(TimeStampedModel):
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="complaints",
        db_index=False,  # served by complaint_customer
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    category = models.CharField(
        _("类别"), max_length=12, choices=Category.choices, default=Category.OTHER
    )
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    description = models.TextField(
        _("投诉内容"), max_length=5000, validators=[MaxLengthValidator(5000)]
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("相关订单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("相关产品"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("危机事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_complaints",
    )
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    response_due_at = models.DateTimeField(_("首次响应截止"))
    resolution_due_at = models.DateTimeField(_("解决截止"))
    responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The deadline the complaint waits for now (none once feedback is given).
    due_kind = models.CharField(max_length=10, choices=DeadlineKind.choices, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    feedback = models.TextField(
        _("给客户的反馈"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    customer_response = models.TextField(
        _("客户的回应"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    close_reason = models.CharField(_("关闭原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        indexes = [
            models.Index(fields=["customer", "-received_at", "-id"], name="complaint_customer"),
            models.Index(fields=["status", "due_at", "id"], name="complaint_queue"),
            models.Index(fields=["handler", "status", "due_at"], name="complaint_handler"),
            models.Index(
                fields=["due_at"], name="complaint_due", condition=Q(due_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"

    @property
    def summary(self) -> str:
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return first[:40] + ("…" if len(first) > 40 else "")

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def time_left(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """Until the pending deadline (negative: overdue by); ``None`` when none is pending."""
        if self.due_at is None:
            return None
        return self.due_at - (now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        left = self.time_left()
        return left is not None and left.total_seconds() < 0


class ComplaintStep(models.Model):
    """One recorded step of a complaint: who moved it from what to what, and why.
    Also how it appears on the customer's timeline."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=16, choices=StepKind.choices, default=StepKind.TRANSITION)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    # What a person typed (and the words of steps written before ``message``); a step
    # the system words keeps a message code and its facts (``note_text``).
    note = models.TextField(max_length=5000, blank=True)
    message = models.CharField(max_length=40, blank=True, default="", db_default="")
    params = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "-at", "-id"], name="complaintstep_complaint")]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_status} → {self.to_status}"

    @property
    def note_text(self) -> str:
        """The note in the active language (``kehu.core.texts``)."""
        return message_render(self.message, self.params, "note", self.note)


class ComplaintEscalation(models.Model):
    """An overdue deadline reported up: level 1 to the manager, level 2 to admins. At
    most one per complaint, deadline, level and due time: the job may run any number
    of times."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    deadline = models.CharField(_("时限"), max_length=10, choices=DeadlineKind.choices)
    level = models.PositiveSmallIntegerField(_("级别"))
    due_at = models.DateTimeField(_("截止时间"))
    escalated_at = models.DateTimeField(_("升级时间"))
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="complaint_escalations", blank=True
    )

    class Meta:
        ordering = ["escalated_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "deadline", "level", "due_at"],
                name="complaint_escalation_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.deadline} L{self.level}"


class IncidentUpdate(models.Model):
    """One update sent to every customer affected by an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    channel = models.CharField(_("渠道"), max_length=8, choices=UpdateChannel.choices)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    body = models.TextField(_("内容"), max_length=2000, validators=[MaxLengthValidator(2000)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    customer_count = models.PositiveIntegerField(_("客户数"), default=0)
    # The messaging campaign that carries it (kehu.messaging; no FK across helpers).
    campaign_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.incident_id} @ {self.created_at:%Y-%m-%d %H:%M}"
