"""Retention playbooks (挽留方案): what to do for a customer at risk, and whether it worked.

A ``Playbook`` says when it starts (its trigger), for whom (its audience), what to do
(its ``PlaybookStep`` rows: a call, a message, a visit, a manager's review, a task —
each due some days after the start, with an owner rule) and how long to wait for the
outcome (``window_days``). Starting it for a customer makes a ``PlaybookRun``; a share
of the runs (``holdout_percent``, chosen at random) is held out: no step is done for
them, so the report can compare (uplift). The runs that are not held out get a
``RunStep`` per step, each a follow-up task in 我的工作.

A run's outcome is computed from the data, never typed in (``outcomes.py``): saved by a
paid order in the window or a lifecycle rule back to a developing stage, lost by
entering a churned stage or when the window passes, stopped by hand with a reason.
A customer has at most one open run at a time (``playbookrun_one_open``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.customers.models import Customer

DEFAULT_WINDOW_DAYS = 60
DEFAULT_HOLDOUT = 10
MAX_HOLDOUT = 50


class Trigger(models.TextChoices):
    CHURN_RISK = "churn_risk", _("流失风险超过阈值")
    STAGE = "stage", _("进入生命周期阶段")
    TIER_DROP = "tier_drop", _("星级下降")
    SEGMENT = "segment", _("进入客户分群")
    MANUAL = "manual", _("手动启动")


class StepKind(models.TextChoices):
    """What a step asks for. A new kind is one line here (and its task kind in
    ``steps.TASK_KINDS``); the column is wide enough for more."""

    CALL = "call", _("电话")
    MESSAGE = "message", _("发送消息")
    VISIT = "visit", _("上门拜访")
    REVIEW = "review", _("经理复核")
    TASK = "task", _("其他任务")
    COUPON = "coupon", _("发放优惠券")


class OwnerRule(models.TextChoices):
    CUSTOMER_OWNER = "owner", _("客户负责人")
    TEAM_MANAGER = "manager", _("负责人的团队经理")
    USER = "user", _("指定用户")


class Outcome(models.TextChoices):
    OPEN = "open", _("进行中")
    SAVED = "saved", _("已挽回")
    LOST = "lost", _("已流失")
    STOPPED = "stopped", _("已停止")


class EndReason(models.TextChoices):
    """How the outcome was found (the run's ``end_reason``)."""

    NONE = "", "—"
    ORDER = "order", _("窗口内有已支付订单")
    STAGE_BACK = "stage_back", _("回到发展阶段")
    CHURNED = "churned", _("进入流失阶段")
    WINDOW = "window", _("窗口期已过")
    BY_HAND = "by_hand", _("手动停止")


class Playbook(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    trigger = models.CharField(_("触发条件"), max_length=16, choices=Trigger.choices)
    # churn_risk: the risk at or above which it starts (0–1).
    risk_threshold = models.FloatField(
        _("流失风险阈值"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    # stage: entering this stage starts it (``include_initial``: first placements too).
    stage = models.ForeignKey(
        "lifecycle.Stage",
        verbose_name=_("阶段"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    include_initial = models.BooleanField(_("包括初次归入"), default=False)
    # tier_drop: a drop of at least this many stars between two scoring runs.
    tier_drop = models.PositiveSmallIntegerField(
        _("星级下降至少"), default=1, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    # segment (trigger) or the audience filter: only customers in this segment.
    segment = models.ForeignKey(
        "segments.Segment",
        verbose_name=_("客户分群"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The audience filter as a rule (the segments' rule language), besides the segment.
    audience_rule = models.JSONField(_("受众条件"), null=True, blank=True)
    # A lifecycle rule move into one of these stages counts as saved (default: 发展).
    saved_stage_ids = models.JSONField(_("视为挽回的阶段"), default=list, blank=True)
    window_days = models.PositiveSmallIntegerField(
        _("结果窗口（天）"),
        default=DEFAULT_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("对照组比例（%）"),
        default=DEFAULT_HOLDOUT,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_HOLDOUT)],
    )
    # What one run costs beside its steps (a gift, a discount), for the cost report.
    cost_per_run = models.DecimalField(
        _("每次额外成本"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("挽留方案")
        verbose_name_plural = _("挽留方案")
        indexes = [models.Index(fields=["trigger", "is_active"], name="playbook_trigger")]

    def __str__(self) -> str:
        return self.name


# The cost of one step of each kind, for the cost report (a business may change them in
# ``KEHU_RETENTION_STEP_COSTS``).
STEP_COSTS: dict[str, Decimal] = {
    StepKind.CALL: Decimal("10"),
    StepKind.MESSAGE: Decimal("1"),
    StepKind.VISIT: Decimal("100"),
    StepKind.REVIEW: Decimal("20"),
    StepKind.TASK: Decimal("10"),
}


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    kind = models.CharField(_("类型"), max_length=20, choices=StepKind.choices)
    title = models.CharField(_("内容"), max_length=200, blank=True)
    template = models.ForeignKey(
        "messaging.MessageTemplate",
        verbose_name=_("消息模板"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    coupon = models.ForeignKey(
        "coupons.CouponTemplate",
        verbose_name=_("优惠券"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_days = models.PositiveSmallIntegerField(
        _("期限（天）"), default=3, validators=[MaxValueValidator(365)]
    )
    owner_rule = models.CharField(
        _("负责人"), max_length=10, choices=OwnerRule.choices, default=OwnerRule.CUSTOMER_OWNER
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定用户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["playbook", "order", "id"]
        verbose_name = _("方案步骤")
        verbose_name_plural = _("方案步骤")

    def __str__(self) -> str:
        return f"{self.playbook_id}#{self.order} {self.kind}"


class PlaybookRun(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="runs")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    held_out = models.BooleanField(_("对照组"), default=False)
    started_at = models.DateTimeField(_("开始时间"))
    window_ends_at = models.DateTimeField(_("窗口截止"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(_("触发"), max_length=16, choices=Trigger.choices)
    # Who owned the customer, their team and stage at the start (the report's groups).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        "lifecycle.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The churn warning's first reason at the start (``value`` reason codes).
    churn_reason = models.CharField(_("流失原因"), max_length=40, blank=True)
    value_before = models.DecimalField(
        _("开始时价值"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    end_reason = models.CharField(
        _("结果依据"), max_length=12, choices=EndReason.choices, default="", blank=True
    )
    stop_note = models.CharField(_("停止原因"), max_length=500, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    value_after = models.DecimalField(
        _("结束时价值"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # What the run cost: the playbook's extra cost per run, taken at the start, plus
    # the steps done, each priced by its kind (``services.steps_sync`` keeps it), so the
    # report adds up one column.
    extra_cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    cost = models.DecimalField(_("成本"), max_digits=14, decimal_places=2, default=Decimal("0"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("挽留记录")
        verbose_name_plural = _("挽留记录")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(outcome="open"),
                name="playbookrun_one_open",
                violation_error_message=_("该客户已有进行中的挽留方案。"),
            )
        ]
        indexes = [
            models.Index(fields=["playbook", "outcome"], name="playbookrun_playbook"),
            models.Index(fields=["customer", "-started_at"], name="playbookrun_customer"),
            models.Index(
                fields=["window_ends_at"], condition=Q(outcome="open"), name="playbookrun_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook_id}/{self.customer_id} {self.outcome}"

    @property
    def is_open(self) -> bool:
        return self.outcome == Outcome.OPEN


class RunStep(models.Model):
    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(PlaybookStep, null=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(_("类型"), max_length=20, choices=StepKind.choices)
    due_at = models.DateTimeField(_("截止时间"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The follow-up task in 我的工作; its finish is copied here (``steps.steps_sync``).
    task = models.OneToOneField(
        "followups.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    skipped = models.BooleanField(_("已跳过"), default=False)
    result = models.TextField(_("结果"), max_length=5000, blank=True)

    class Meta:
        ordering = ["run", "order", "id"]
        verbose_name = _("挽留步骤")
        verbose_name_plural = _("挽留步骤")
        indexes = [models.Index(fields=["owner", "done_at"], name="runstep_owner")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.order}"


def step_state(step: RunStep) -> str:
    """ "done", "skipped" or "open": the step's own record, else its task's (a task
    finished in 我的工作 is copied to the step by the nightly job)."""
    if step.done_at is not None:
        return "skipped" if step.skipped else "done"
    task = step.task if step.task_id else None
    if task is not None and task.status in ("done", "skipped"):
        return str(task.status)
    return "open"


def step_result(step: RunStep) -> str:
    """The step's result as ``step_state`` reads its state: its own, else its finished
    task's (written in 我的工作, copied to the step only by the nightly job)."""
    if step.done_at is not None:
        return step.result
    task = step.task if step.task_id else None
    if task is not None and task.status in ("done", "skipped"):
        return str(task.result or "")
    return ""
