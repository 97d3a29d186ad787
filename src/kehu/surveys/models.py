"""Satisfaction surveys (满意度调查): templates with ordered questions, invitations sent
as single-use signed links, the answers, and each customer's latest satisfaction.

An invitation's link carries a random token; only its SHA-256 digest is stored. The
token is made when the link is handed out (delivered through a channel, or shown to
staff to copy), so a delayed invitation has no token until it is delivered.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer


class QuestionKind(models.TextChoices):
    CSAT = "csat", _("满意度评分（1–5）")
    NPS = "nps", _("推荐意愿（0–10）")
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    TEXT = "text", _("文字")


RATED_KINDS = (QuestionKind.CSAT, QuestionKind.NPS)
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
SCALES = {QuestionKind.CSAT: (1, 5), QuestionKind.NPS: (0, 10)}


class Survey(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=200)
    intro = models.TextField(_("开场白"), max_length=2000, blank=True)
    thanks = models.CharField(_("感谢语"), max_length=500, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # A rated answer at or below these opens a follow-up task for the owner at once.
    low_csat = models.PositiveSmallIntegerField(
        _("满意度低分线"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("满意度评分不高于此值视为低分"),
    )
    low_nps = models.PositiveSmallIntegerField(
        _("推荐意愿低分线"),
        default=6,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("推荐意愿不高于此值视为低分"),
    )
    expiry_days = models.PositiveSmallIntegerField(
        _("链接有效天数"), default=14, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-is_active", "name", "id"]
        verbose_name = _("调查问卷")
        verbose_name_plural = _("调查问卷")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=500)
    required = models.BooleanField(_("必答"), default=True)
    choices = models.JSONField(_("选项"), default=list, blank=True)

    class Meta:
        ordering = ["survey", "position"]
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="survey_question_position")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_rated(self) -> bool:
        return self.kind in RATED_KINDS


class TriggerKind(models.TextChoices):
    COMPLAINT_CLOSED = "complaint_closed", _("投诉关闭后")
    ORDER_PAID = "order_paid", _("订单支付 N 天后")


class Channel(models.TextChoices):
    LINK = "link", _("仅生成链接（手动发送，如微信）")
    SMS = "sms", _("短信")
    EMAIL = "email", _("邮件")


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


class SurveyTrigger(TimeStampedModel):
    """Send ``survey`` by itself: after a complaint is closed, or N days after a paid
    order. One invitation per complaint / order and trigger, however often it runs."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(_("触发条件"), max_length=20, choices=TriggerKind.choices)
    delay_days = models.PositiveSmallIntegerField(
        _("延迟天数"), default=0, validators=[MaxValueValidator(365)]
    )
    channel = models.CharField(
        _("发送渠道"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    language = models.CharField(
        _("语言"), max_length=10, choices=language_choices, default="zh-hans"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("自动发送规则")
        verbose_name_plural = _("自动发送规则")
        indexes = [models.Index(fields=["kind", "is_active"], name="survey_trigger_kind")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.get_kind_display()}"


class InvitationSource(models.TextChoices):
    MANUAL = "manual", _("单独发送")
    SEGMENT = "segment", _("按筛选群发")
    COMPLAINT = "complaint", _("投诉关闭后")
    ORDER = "order", _("订单后")
    EXIT = "exit", _("客户退出后")


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("来源"), max_length=10, choices=InvitationSource.choices)
    channel = models.CharField(_("发送渠道"), max_length=10, choices=Channel.choices)
    language = models.CharField(
        _("语言"), max_length=10, choices=language_choices, default="zh-hans"
    )
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    trigger = models.ForeignKey(
        SurveyTrigger, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    complaint_id = models.BigIntegerField(null=True, blank=True)
    # The owner and team when it was sent: what the reports group by.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deliver_after = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("回答时间"), null=True, blank=True)
    delivery_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("调查邀请")
        verbose_name_plural = _("调查邀请")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="invitation_customer"),
            models.Index(fields=["survey", "sent_at"], name="invitation_survey_sent"),
            models.Index(fields=["sent_at", "deliver_after"], name="invitation_pending"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "order"],
                condition=Q(trigger__isnull=False, order__isnull=False),
                name="invitation_once_per_order",
            ),
            models.UniqueConstraint(
                fields=["trigger", "complaint_id"],
                condition=Q(trigger__isnull=False, complaint_id__isnull=False),
                name="invitation_once_per_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}→{self.customer_id}"

    def status(self, now: object = None) -> str:
        moment = now or timezone.now()
        if self.answered_at:
            return "answered"
        if self.sent_at is None:
            return "pending"
        if self.expires_at and self.expires_at <= moment:  # type: ignore[operator]
            return "expired"
        return "sent"


class Response(models.Model):
    """One invitation's answers. ``csat`` / ``nps``: the first rated question of each
    scale (what reports and the latest satisfaction read)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    answered_at = models.DateTimeField()
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    is_low = models.BooleanField(default=False)
    task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("调查答卷")
        verbose_name_plural = _("调查答卷")
        indexes = [models.Index(fields=["customer", "-answered_at"], name="response_customer")]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.customer_id}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=2000)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"

    @property
    def display(self) -> str:
        if self.score is not None:
            return str(self.score)
        if self.choices:
            return str(_("、")).join(str(c) for c in self.choices)
        return self.text


class Satisfaction(models.Model):
    """A customer's latest satisfaction (one row per customer; ``slot`` is constant and
    lets a merge keep the survivor's row). The lifecycle engine reads it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    slot = models.CharField(max_length=8, default="latest", editable=False)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    nps_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(Response, on_delete=models.SET_NULL, null=True, related_name="+")
    answered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("最新满意度")
        verbose_name_plural = _("最新满意度")
        constraints = [
            models.UniqueConstraint(fields=["customer", "slot"], name="satisfaction_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.csat}/{self.nps}"
