"""Leads (线索): possible customers not yet verified, the calls made to verify them,
who works on them (assignment rules, the lead pool) and the public form's traffic."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer, SourceChannel


class LeadStatus(models.TextChoices):
    NEW = "new", _("新线索")
    CONTACTING = "contacting", _("联系中")
    QUALIFIED = "qualified", _("合格")
    DISQUALIFIED = "disqualified", _("不合格")
    CONVERTED = "converted", _("已转化")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTING, LeadStatus.QUALIFIED)


class PhoneCheck(models.TextChoices):
    """What verification (校验) says about the phone number."""

    UNCHECKED = "", _("未校验")
    VALID = "valid", _("有效")
    REGION_MISMATCH = "region_mismatch", _("号码归属地与所填地区不符")
    FOREIGN = "foreign", _("境外号码")
    INVALID = "invalid", _("空号或无效")


class AttemptOutcome(models.TextChoices):
    CONNECTED = "connected", _("接通")
    NO_ANSWER = "no_answer", _("未接")
    INVALID_NUMBER = "invalid_number", _("空号")
    REFUSED = "refused", _("拒绝")
    APPOINTMENT = "appointment", _("约访")


class AssignmentMode(models.TextChoices):
    POOL = "pool", _("进入线索池，由销售领取")
    ROUND_ROBIN = "round_robin", _("团队成员轮流分配")
    REGION = "region", _("按地区分配")


class DisqualifyReason(TimeStampedModel):
    """Why a lead is not worth pursuing (不合格原因), an editable list."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("不合格原因")
        verbose_name_plural = _("不合格原因")

    def __str__(self) -> str:
        return self.name


class LeadQuerySet(models.QuerySet["Lead"]):
    def alive(self) -> LeadQuerySet:
        return self.filter(deleted_at__isnull=True)


class Lead(TimeStampedModel):
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("电话"), max_length=20)  # E.164
    company = models.CharField(_("公司"), max_length=200, blank=True)
    province = models.CharField(_("省份"), max_length=32, blank=True)
    city = models.CharField(_("城市"), max_length=32, blank=True)
    source_channel = models.CharField(
        _("来源渠道"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    campaign = models.ForeignKey(
        "messaging.Campaign",
        verbose_name=_("营销活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(
        _("备注"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    claimed_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    # Who released (or lost) the lead to the pool may not claim it back before then.
    blocked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    blocked_until = models.DateTimeField(null=True, blank=True)
    # Verification (校验): the phone and the duplicates, as last checked.
    phone_check = models.CharField(
        _("电话校验"), max_length=16, choices=PhoneCheck.choices, blank=True
    )
    phone_region = models.CharField(_("号码归属"), max_length=64, blank=True)
    duplicate_customers = models.PositiveIntegerField(default=0)
    duplicate_leads = models.PositiveIntegerField(default=0)
    verified_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    # Qualification (合格 / 不合格).
    disqualify_reason = models.ForeignKey(
        DisqualifyReason,
        verbose_name=_("不合格原因"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    qualify_note = models.CharField(_("说明"), max_length=500, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    # Conversion: the customer the lead became (the customer's ``lead_id``: its first
    # lead). Several leads may end in one customer — a second enquiry converted into the
    # existing customer, or two customers merged (the merge moves their leads).
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    # Idempotency: an external system's id (API), or the public form's client token.
    source = models.CharField(_("外部系统"), max_length=32, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    client_token = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        indexes = [
            models.Index(fields=["owner", "id"], name="lead_owner_id"),
            models.Index(fields=["team", "id"], name="lead_team_id"),
            models.Index(fields=["status", "id"], name="lead_status_id"),
            models.Index(fields=["source_channel", "id"], name="lead_source_id"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["owner", "claimed_at"], name="lead_owner_claimed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id="") & models.Q(deleted_at__isnull=True),
                name="lead_external_id_once",
                violation_error_message=_("该外部系统中已有相同外部编号的线索。"),
            ),
            models.UniqueConstraint(
                fields=["client_token"],
                condition=~models.Q(client_token=""),
                name="lead_client_token_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.deleted_at is None

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class ContactAttempt(models.Model):
    """One call (or visit) to verify a lead, with its outcome."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(_("结果"), max_length=16, choices=AttemptOutcome.choices)
    note = models.CharField(_("记录"), max_length=1000, blank=True)
    appointment_at = models.DateTimeField(_("约访时间"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"], name="lead_attempt_lead")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.outcome}"


class LeadEventKind(models.TextChoices):
    CREATE = "create", _("创建")
    UPDATE = "update", _("修改")
    ASSIGN = "assign", _("分配")
    CLAIM = "claim", _("领取")
    RELEASE = "release", _("退回线索池")
    RECLAIM = "reclaim", _("自动收回")
    VERIFY = "verify", _("校验")
    QUALIFY = "qualify", _("合格")
    DISQUALIFY = "disqualify", _("不合格")
    CONVERT = "convert", _("转化为客户")
    DELETE = "delete", _("删除")


class LeadEvent(models.Model):
    """The lead's history: who did what, when; shown on the lead and, once converted,
    on the customer's timeline."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=LeadEventKind.choices)
    note = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"], name="lead_event_lead")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind}"


class LeadSettings(models.Model):
    """How new leads find an owner and the lead pool's rules (one row)."""

    mode = models.CharField(
        _("分配方式"), max_length=12, choices=AssignmentMode.choices, default=AssignmentMode.POOL
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("分配给团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("轮流分配时在该团队的销售和经理之间轮流"),
    )
    # The member who got the last lead (round-robin's pointer).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reclaim_days = models.PositiveIntegerField(
        _("未联系收回天数"), default=3, help_text=_("负责人超过这么多天未联系，线索自动退回线索池")
    )
    reclaim_block_days = models.PositiveIntegerField(_("退回后禁止重新领取天数"), default=3)
    claim_cap = models.PositiveIntegerField(
        _("每人最多未结线索数"), default=200, help_text=_("达到上限后不能再从线索池领取")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("线索分配规则")
        verbose_name_plural = _("线索分配规则")

    def __str__(self) -> str:
        return str(_("线索分配规则"))


class RegionRoute(models.Model):
    """By region: leads from this province (and city, when given) go to ``user``."""

    province = models.CharField(_("省份"), max_length=32)
    city = models.CharField(_("城市"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        ordering = ["province", "city", "id"]
        constraints = [
            models.UniqueConstraint(fields=["province", "city"], name="lead_region_route_once")
        ]

    def __str__(self) -> str:
        return f"{self.province}{self.city} → {self.user_id}"


class FormHit(models.Model):
    """Submissions of the public form per client address and minute (the rate limit
    lives in the database: every web process sees the same counts)."""

    client = models.CharField(max_length=64)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "window"], name="lead_form_hit_once")
        ]
        indexes = [models.Index(fields=["window"], name="lead_form_hit_window")]

    def __str__(self) -> str:
        return f"{self.client} {self.window} {self.count}"
