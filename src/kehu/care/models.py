"""Care plans (客户关怀): festivals, care rules, contact cadence, and the daily agenda.

A ``CareRule`` says whom to care for and how (a task, a message, or only a line on the
agenda); the daily job turns the rules into ``CareItem`` rows, one per (customer, rule,
occurrence), so building a day twice creates nothing twice. ``AgendaDay`` records which
days are built, so a day the job missed (the shop's PC was off) is built later.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.core.texts import TextJSONEncoder
from kehu.customers.models import Customer, Tag
from kehu.followups.models import Task


class CalendarKind(models.TextChoices):
    LUNAR = "lunar", _("农历")
    SOLAR = "solar", _("公历")


class Festival(TimeStampedModel):
    """A festival on the lunar or solar calendar (春节 = 农历正月初一, 国庆 = 10-01).

    ``is_new_year_eve`` marks 除夕: the last day of the 12th lunar month, which has 29
    or 30 days depending on the year (month and day are then ignored).
    """

    name = models.CharField(_("名称"), max_length=50, unique=True)
    calendar = models.CharField(
        _("历法"), max_length=5, choices=CalendarKind.choices, default=CalendarKind.LUNAR
    )
    month = models.PositiveSmallIntegerField(
        _("月"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        _("日"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    is_new_year_eve = models.BooleanField(
        _("除夕（腊月最后一天）"), default=False, help_text=_("腊月有 29 或 30 天，按当年计算")
    )
    active = models.BooleanField(_("启用"), default=True)
    greeting = models.TextField(
        _("祝福语模板"),
        max_length=1000,
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text=_("可用占位符：{称呼} {姓名} {公司} {生日} {负责人}"),
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("节日")
        verbose_name_plural = _("节日")

    def __str__(self) -> str:
        return self.name


class RuleKind(models.TextChoices):
    BIRTHDAY = "birthday", _("生日")
    FESTIVAL = "festival", _("节日")
    ANNIVERSARY = "anniversary", _("纪念日")
    CADENCE = "cadence", _("超过回访周期未联系")
    VISIT = "visit", _("定期拜访/送礼")


class AnniversaryKind(models.TextChoices):
    FIRST_PURCHASE = "first_purchase", _("首次购买")
    MEMBERSHIP = "membership", _("成为客户（入会）")


class TaskKindChoice(models.TextChoices):
    """What a rule's task is (mapped onto the follow-up task kinds)."""

    CALL = "call", _("电话回访")
    VISIT = "visit", _("上门拜访")
    GIFT = "gift", _("礼品关怀")
    GREETING = "greeting", _("问候")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class CareRule(TimeStampedModel):
    """Whom to care for (kind + scope) and how (task and/or message)."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=RuleKind.choices)
    active = models.BooleanField(_("启用"), default=True)
    # Scope: every customer, or those with the tag / of the team / of the owner / in
    # the segment.
    tag = models.ForeignKey(
        Tag,
        verbose_name=_("标签"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A segment (客户分群, an app above: its id, resolved through customers.audiences).
    segment_id = models.PositiveBigIntegerField(_("客户分群"), null=True, blank=True)
    festivals = models.ManyToManyField(
        Festival,
        verbose_name=_("节日"),
        blank=True,
        related_name="rules",
        help_text=_("不选则为全部启用的节日"),
    )
    anniversary = models.CharField(
        _("纪念日类型"), max_length=16, choices=AnniversaryKind.choices, blank=True
    )
    every_days = models.PositiveIntegerField(
        _("每隔天数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text=_("定期拜访/送礼：每隔多少天一次"),
    )
    days_before = models.PositiveSmallIntegerField(
        _("提前天数"),
        default=0,
        validators=[MaxValueValidator(30)],
        help_text=_("提前几天列入关怀日程（如备礼）"),
    )
    # The action: a task for the owner, a message to the customer, or only the agenda.
    create_task = models.BooleanField(_("创建关怀任务"), default=False)
    task_kind = models.CharField(
        _("任务类型"), max_length=10, choices=TaskKindChoice.choices, blank=True
    )
    send_message = models.BooleanField(_("自动发送消息"), default=False)
    channel = models.CharField(
        _("消息渠道"), max_length=8, choices=MessageChannel.choices, blank=True
    )
    message = models.TextField(
        _("消息模板"),
        max_length=1000,
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text=_(
            "可用占位符：{称呼} {姓名} {公司} {生日} {负责人}；节日规则留空则用节日的祝福语"
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("关怀规则")
        verbose_name_plural = _("关怀规则")

    def __str__(self) -> str:
        return self.name


class CadenceRule(TimeStampedModel):
    """How often customers with a tag should be contacted (回访周期); the row without a tag
    is the default. A customer with several tags gets the shortest cadence.

    Hook for tiers: the value issue adds a tier → days table; ``kehu.care.cadence``
    (``CadenceTable.days_for``) is the one place that decides a customer's cadence.
    """

    tag = models.OneToOneField(
        Tag,
        verbose_name=_("标签"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("留空为默认周期"),
    )
    days = models.PositiveIntegerField(
        _("回访周期（天）"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    # True exactly when ``tag`` is empty: at most one default row (a unique index on a
    # nullable column would allow several NULLs).
    is_default = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["days", "id"]
        verbose_name = _("回访周期")
        verbose_name_plural = _("回访周期")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="cadence_one_default"
            ),
            models.CheckConstraint(
                condition=Q(tag__isnull=True, is_default=True)
                | Q(tag__isnull=False, is_default=False),
                name="cadence_default_without_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag or _('默认')}: {self.days}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.is_default = self.tag_id is None
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Reason(models.TextChoices):
    BIRTHDAY = "birthday", _("生日")
    LUNAR_BIRTHDAY = "lunar_birthday", _("农历生日")
    FESTIVAL = "festival", _("节日")
    ANNIVERSARY = "anniversary", _("纪念日")
    CADENCE = "cadence", _("回访周期到期")
    VISIT = "visit", _("定期拜访/送礼")


# Reasons whose rows may be handed to a greeting send from the agenda page.
GREETING_REASONS = (Reason.BIRTHDAY, Reason.LUNAR_BIRTHDAY, Reason.FESTIVAL)


class CareItem(models.Model):
    """One line of the care agenda: a customer, why, and what was done about it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="care_items")
    rule = models.ForeignKey(CareRule, on_delete=models.CASCADE, related_name="items")
    occurs_on = models.DateField(_("日期"))  # the birthday, festival, due date
    agenda_date = models.DateField(_("日程日期"))  # the day it is listed (occurs_on − lead)
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    # The line's facts, worded by its reason in the reader's language (``note_text``,
    # ``kehu.care.texts``); ``note`` keeps the words of lines built before params.
    note = models.CharField(_("说明"), max_length=200, blank=True)
    params = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The messaging campaign the greeting went out in (``kehu.messaging``), by id.
    campaign_id = models.PositiveBigIntegerField(null=True, blank=True)
    message_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agenda_date", "reason", "id"]
        verbose_name = _("关怀事项")
        verbose_name_plural = _("关怀事项")
        constraints = [
            models.UniqueConstraint(fields=["customer", "rule", "occurs_on"], name="care_item_once")
        ]
        indexes = [
            models.Index(fields=["agenda_date", "reason", "id"], name="care_item_day"),
            models.Index(fields=["rule", "agenda_date"], name="care_item_rule_day"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reason} {self.occurs_on}"

    @property
    def note_text(self) -> str:
        from kehu.care.texts import care_note

        return care_note(self.reason, self.params, self.note)


class AgendaDay(models.Model):
    """A day whose agenda the job built (``done_at``) or started (a run that died)."""

    date = models.DateField(unique=True)
    started_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    items = models.PositiveIntegerField(default=0)
    tasks = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)
