"""Customer value (客户价值): the settings, the scoring runs and one snapshot row per
customer per run.

Star tiers (星级管理, "by contribution and loyalty"): a customer's **contribution** is
its net revenue to date (paid and partially refunded orders, net of refunds), its
**loyalty** the number of its orders. ``ValueSettings`` holds, for 2 to 5 stars, the
minimum of both; a customer gets the highest tier whose two minima it meets (1 star
otherwise). Both are facts the business can check on the customer page, and they do not
move when the statistical model cannot be fitted.

History is bounded (``services.runs_prune``, called by every run): all runs of the last
``KEEP_DAYS`` days are kept, and of older ones only the last run of each month; the
others are deleted with their customer rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

KEEP_DAYS = 14
TIERS = (1, 2, 3, 4, 5)
# A customer whose churn risk is at least this is on the at-risk list (流失预警).
AT_RISK = 0.5


def _money(verbose: Any, default: str, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose,
        max_digits=14,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0"))],
        **kwargs,  # type: ignore[arg-type]
    )


class ValueSettings(models.Model):
    """The single row of value settings (``value_settings()`` creates it)."""

    rfm_bins = models.PositiveSmallIntegerField(
        _("RFM 分档数"), default=5, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    # Star tiers: minimum contribution (net revenue to date, yuan) and loyalty (orders).
    tier2_min_value = _money(_("二星最低累计消费"), "500.00")
    tier2_min_orders = models.PositiveIntegerField(_("二星最少订单数"), default=2)
    tier3_min_value = _money(_("三星最低累计消费"), "2000.00")
    tier3_min_orders = models.PositiveIntegerField(_("三星最少订单数"), default=3)
    tier4_min_value = _money(_("四星最低累计消费"), "5000.00")
    tier4_min_orders = models.PositiveIntegerField(_("四星最少订单数"), default=5)
    tier5_min_value = _money(_("五星最低累计消费"), "20000.00")
    tier5_min_orders = models.PositiveIntegerField(_("五星最少订单数"), default=10)
    # Contact cadence (回访周期) per tier, in days.
    cadence1_days = models.PositiveIntegerField(_("一星回访周期（天）"), default=180)
    cadence2_days = models.PositiveIntegerField(_("二星回访周期（天）"), default=90)
    cadence3_days = models.PositiveIntegerField(_("三星回访周期（天）"), default=60)
    cadence4_days = models.PositiveIntegerField(_("四星回访周期（天）"), default=30)
    cadence5_days = models.PositiveIntegerField(_("五星回访周期（天）"), default=14)
    retention_cost = _money(_("单次挽留成本（元）"), "50.00")
    clv_months = models.PositiveSmallIntegerField(
        _("终身价值预测月数"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    monthly_discount = models.DecimalField(
        _("月折现率"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
    )
    cost_to_serve = _money(_("每位客户每年服务成本（元）"), "0.00")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("客户价值设置")
        verbose_name_plural = _("客户价值设置")

    def __str__(self) -> str:
        return str(_("客户价值设置"))

    def thresholds(self) -> list[tuple[float, float]]:
        """The (min value, min orders) pairs of 2..5 stars, for ``calc.tiers.stars``."""
        return [
            (
                float(getattr(self, f"tier{n}_min_value")),
                float(getattr(self, f"tier{n}_min_orders")),
            )
            for n in (2, 3, 4, 5)
        ]

    def cadence(self) -> dict[int, int]:
        return {n: int(getattr(self, f"cadence{n}_days")) for n in TIERS}


class RunStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")
    INSUFFICIENT = "insufficient", _("数据不足（仅 RFM）")


class ScoreRun(models.Model):
    """One scoring of every customer as of a day (``kehu score``, the nightly job)."""

    as_of = models.DateField(_("截至日期"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    # A stable code (``no_data``, ``insufficient_data``, ``no_convergence``...) with its
    # numbers in ``detail``; the pages render the words in the reader's language.
    message_code = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    customers = models.PositiveIntegerField(default=0)
    repeat_customers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    future_orders_ignored = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # The target fit's table (``calc.target_fit.FitTable.to_json``): scores any profile.
    target_fit = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("价值评分")
        verbose_name_plural = _("价值评分")
        indexes = [models.Index(fields=["status", "-as_of", "-id"], name="scorerun_status")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.status}"

    @property
    def has_model(self) -> bool:
        return self.status == RunStatus.SUCCEEDED

    @property
    def rfm_only(self) -> bool:
        return self.status == RunStatus.INSUFFICIENT


class Segment(models.TextChoices):
    """The 20/60/20 split by profit (二八理论)."""

    TOP = "top", _("贡献最大的 20%")
    MIDDLE = "middle", _("持平的 60%")
    DRAIN = "drain", _("亏损客户")


class CustomerValue(models.Model):
    """A customer's value as of a run (one row per customer with a purchase)."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="values")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # served by customervalue_customer
    recency_days = models.PositiveIntegerField(_("距上次购买天数"))
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    rfm_score = models.PositiveSmallIntegerField(_("RFM 总分"))
    rfm_segment = models.CharField(_("RFM 分群"), max_length=20)
    orders = models.PositiveIntegerField(_("订单数"))
    revenue = models.DecimalField(_("累计消费"), max_digits=16, decimal_places=2)
    profit = models.DecimalField(
        _("毛利"), max_digits=16, decimal_places=2, null=True, blank=True
    )  # None: some order's cost is unknown
    segment = models.CharField(_("二八分组"), max_length=6, choices=Segment.choices)
    tier = models.PositiveSmallIntegerField(_("星级"))
    clv = models.DecimalField(
        _("终身价值"), max_digits=16, decimal_places=2, null=True, blank=True
    )  # None: RFM-only run
    p_alive = models.FloatField(_("活跃概率"), null=True, blank=True)
    expected_purchases_90d = models.FloatField(_("未来 90 天预计购买次数"), null=True, blank=True)
    risk = models.FloatField(_("流失风险"))
    at_risk = models.BooleanField(default=False)
    reasons = models.JSONField(default=list, blank=True)  # [{"code": ..., "params": {...}}]
    money_at_stake = models.DecimalField(_("挽回价值"), max_digits=16, decimal_places=2)
    worth_saving = models.BooleanField(_("值得挽留"), default=False)

    class Meta:
        verbose_name = _("客户价值快照")
        verbose_name_plural = _("客户价值快照")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="customervalue_once")
        ]
        indexes = [
            models.Index(fields=["customer", "run"], name="customervalue_customer"),
            models.Index(
                fields=["run", "-money_at_stake", "id"],
                condition=Q(at_risk=True),
                name="customervalue_at_risk",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.customer_id}"


class TargetFit(models.Model):
    """A customer's target fit (目标客户定位) as of the latest run that fitted one: the
    chance, in %, that a customer with this profile is among the top 20 % by profit,
    and the reasons (``[[attribute, value, weight]]``, words rendered at display time).
    One row per customer, rewritten by every run (``target_fit.target_fit_run``)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("目标客户匹配度"))
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("目标客户匹配度")
        verbose_name_plural = _("目标客户匹配度")
        indexes = [models.Index(fields=["-score", "customer"], name="targetfit_score")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


class WarningSignal(models.TextChoices):
    """What the churn warning ranks customers by (``churn_model``)."""

    LEARNED = "learned", _("学习模型")
    RECENCY = "recency", _("距上次购买天数")
    EXPECTED = "expected", _("预计购买次数（BG/NBD）")
    HEURISTIC = "heuristic", _("规则加权（未学习）")


class ChurnWarningFit(models.Model):
    """The churn warning learned from the business's past (``churn_model``), one row
    per scoring run that learned it: the back-tested AUCs beside the simple signals',
    which one the warning uses, and the fitted model (coefficients, feature means and
    scales, the simple signals' calibrations) in ``model``."""

    run = models.OneToOneField(ScoreRun, on_delete=models.CASCADE, related_name="warning_fit")
    as_of = models.DateField(_("截至日期"))
    fitted_at = models.DateTimeField(_("拟合时间"))
    code = models.CharField(max_length=20)  # "ok", "short_history", "no_fit"
    used = models.CharField(
        _("预警依据"), max_length=10, choices=WarningSignal.choices, default=WarningSignal.HEURISTIC
    )
    horizon_days = models.PositiveSmallIntegerField(_("预警窗口（天）"))
    auc_learned = models.FloatField(null=True, blank=True)
    auc_recency = models.FloatField(null=True, blank=True)
    auc_expected = models.FloatField(null=True, blank=True)
    auc_heuristic = models.FloatField(null=True, blank=True)
    train_n = models.PositiveIntegerField(default=0)
    test_n = models.PositiveIntegerField(default=0)
    model = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("流失预警模型")
        verbose_name_plural = _("流失预警模型")

    def __str__(self) -> str:
        return f"{self.as_of} {self.used}"
