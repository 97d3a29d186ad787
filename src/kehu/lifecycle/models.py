"""Lifecycle models as data (客户生命周期模型), the rules that move customers between
their stages, each customer's current stage per model, and every change kept.

A ``LifecycleModel`` is a named, ordered set of ``Stage`` rows with transition
``Rule`` rows (conditions in the JSON rule language of ``kehu.lifecycle.rules``).
Every customer has one ``CustomerStage`` per active model; every move — by a rule,
by hand or the first placement ("initial") — is a ``StageChange``. History is the
source of truth: the stage of a customer at a past date is the latest change at or
before that date.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.core.texts import TextJSONEncoder
from kehu.customers.models import Customer
from kehu.lifecycle import rules as rulebook

COLOR_VALIDATOR = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("颜色格式为 #RRGGBB。"))


class LifecycleModel(TimeStampedModel):
    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(
        _("说明"), blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )
    is_active = models.BooleanField(_("启用"), default=False)
    is_default = models.BooleanField(_("默认模型"), default=False)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("生命周期模型")
        verbose_name_plural = _("生命周期模型")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="lifecycle_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    NORMAL = "normal", _("普通")
    CHURNED = "churned", _("流失/退出")


class Stage(TimeStampedModel):
    model = models.ForeignKey(LifecycleModel, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(_("标识"), max_length=40)
    name = models.CharField(_("名称"), max_length=50)
    color = models.CharField(
        _("颜色"), max_length=7, default="#6c757d", validators=[COLOR_VALIDATOR]
    )
    description = models.TextField(
        _("说明"), blank=True, max_length=2000, validators=[MaxLengthValidator(2000)]
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(
        _("类型"), max_length=10, choices=StageKind.choices, default=StageKind.NORMAL
    )

    class Meta:
        ordering = ["model", "position", "id"]
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="lifecycle_stage_key_once")
        ]

    def __str__(self) -> str:
        return self.name


class Rule(TimeStampedModel):
    model = models.ForeignKey(LifecycleModel, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("名称"), max_length=100)
    # Stage keys the rule moves from; [] = from any stage, and customers not yet placed.
    from_stages = models.JSONField(_("起始阶段"), default=list, blank=True)
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("目标阶段"), on_delete=models.PROTECT, related_name="+"
    )
    condition = models.JSONField(_("条件"))
    priority = models.IntegerField(_("优先级"), default=100, help_text=_("数字小的先判断"))
    is_active = models.BooleanField(_("启用"), default=True)
    # Derived on save: the condition reads a days_since_* fact (the daily job re-checks it).
    time_dependent = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["model", "priority", "id"]
        verbose_name = _("流转规则")
        verbose_name_plural = _("流转规则")

    def __str__(self) -> str:
        return self.name


class StageChangeKind(models.TextChoices):
    RULE = "rule", _("规则")
    MANUAL = "manual", _("手动")
    INITIAL = "initial", _("初始")


class StageChange(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="stage_changes", db_index=False
    )  # served by lifecycle_change_customer
    model = models.ForeignKey(
        LifecycleModel, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # served by lifecycle_change_model_at
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("方式"), max_length=10, choices=StageChangeKind.choices)
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # A manual move's reason as typed (and the words of changes written before
    # ``explanation``); a rule's change keeps why as data, worded when shown in the
    # reader's language (``reason_text``, ``rules.explanation_text``), with ``facts``.
    reason = models.TextField(_("原因"), blank=True)
    explanation = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)
    facts = models.JSONField(_("依据"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("阶段变化")
        verbose_name_plural = _("阶段变化")
        indexes = [
            models.Index(fields=["model", "at"], name="lifecycle_change_model_at"),
            models.Index(fields=["customer", "model", "at"], name="lifecycle_change_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage_id} → {self.to_stage_id}"

    @property
    def reason_text(self) -> str:
        """Why, in the active language."""
        if self.explanation is None:
            return self.reason
        return rulebook.explanation_text(self.explanation, self.facts or {}, gettext)


class CustomerStage(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="lifecycle_stages", db_index=False
    )  # served by lifecycle_stage_once
    model = models.ForeignKey(LifecycleModel, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("进入时间"))
    change = models.ForeignKey(
        StageChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("客户当前阶段")
        verbose_name_plural = _("客户当前阶段")
        constraints = [
            models.UniqueConstraint(fields=["customer", "model"], name="lifecycle_stage_once")
        ]
        # No (model, stage) index: the model and stage foreign-key indexes serve every
        # query, and each index on stage is one more to update per move (migration 0004).

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.stage_id}"


class Flag(TimeStampedModel):
    """A manual mark staff set on a customer (e.g. 重点客户, 已转竞品); rules read them."""

    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    color = models.CharField(
        _("颜色"), max_length=7, default="#6c757d", validators=[COLOR_VALIDATOR]
    )
    description = models.CharField(_("说明"), max_length=500, blank=True)
    # Retired: nobody sets it any more; customers who have it keep it (rules may read it)
    # until someone clears it.
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("人工标记")
        verbose_name_plural = _("人工标记")

    def __str__(self) -> str:
        return self.name


class CustomerFlag(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="lifecycle_flags", db_index=False
    )  # served by lifecycle_flag_once
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="+")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("客户标记")
        verbose_name_plural = _("客户标记")
        constraints = [
            models.UniqueConstraint(fields=["customer", "flag"], name="lifecycle_flag_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.flag_id}"


# The analytics summaries (written by analytics_jobs), registered with this app.
from kehu.lifecycle.analytics_models import StageFlowDaily, StatsSnapshot  # noqa: E402, F401
