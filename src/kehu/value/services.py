"""Customer value: the settings and the scoring run (``kehu score``, the nightly job).

``score_run(as_of=...)`` reads only what had happened by the end of local day ``as_of``
(orders dated later are ignored and counted), fits BG/NBD and Gamma-Gamma on the
purchases in DAYS, and writes one ``CustomerValue`` row per customer with a purchase.
When the model cannot be fitted (too few repeat customers, no convergence, a non-finite
result) the run falls back to RFM-only rows and says why (status ``insufficient`` or
``failed`` with a ``message_code``); the pages keep showing the latest successful run.

Idempotent: a run replaces the earlier runs of the same ``as_of`` once it has succeeded
(or when those had not succeeded either); a run killed half-way writes nothing (its rows
are written in one transaction) and is marked failed by the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.core.sql import rows_insert
from kehu.value import churn_model, scoring
from kehu.value import risk as risk_module
from kehu.value.calc import backtest, pareto, rfm, tiers
from kehu.value.calc.summary import Summary, summarize
from kehu.value.churn_warning import warning_learn, warning_store
from kehu.value.fitting import Model, models_fit
from kehu.value.models import (
    AT_RISK,
    KEEP_DAYS,
    TIERS,
    CustomerValue,
    RunStatus,
    ScoreRun,
    Segment,
    ValueSettings,
)
from kehu.value.target_fit import target_fit_run
from kehu.value.texts import RETENTION_MESSAGE

logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
WRITE_CHUNK = 10_000
STALE_AFTER = dt.timedelta(hours=6)
CLV_EDGES = (0, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
RFM_SEGMENTS = (
    "champions",
    "loyal",
    "new",
    "promising",
    "need_attention",
    "at_risk",
    "hibernating",
)


# --- settings ------------------------------------------------------------------------------


def value_settings() -> ValueSettings:
    """The settings (the defaults, unsaved, until an admin first saves them)."""
    found = ValueSettings.objects.filter(pk=1).first()
    return found if found is not None else ValueSettings(pk=1)


SETTINGS_FIELDS = tuple(
    f.name
    for f in ValueSettings._meta.concrete_fields
    if f.name not in ("id", "version", "updated_at", "updated_by")
)


def _settings_check(conf: ValueSettings) -> None:
    errors: dict[str, list[str]] = {}
    for n in (3, 4, 5):
        if getattr(conf, f"tier{n}_min_value") < getattr(conf, f"tier{n - 1}_min_value"):
            errors.setdefault(f"tier{n}_min_value", []).append(
                _("星级越高，最低累计消费不能越低。")
            )
        if getattr(conf, f"tier{n}_min_orders") < getattr(conf, f"tier{n - 1}_min_orders"):
            errors.setdefault(f"tier{n}_min_orders", []).append(_("星级越高，最少订单数不能越少。"))
    for n in TIERS:
        days = getattr(conf, f"cadence{n}_days")
        if not 1 <= days <= 3650:
            errors.setdefault(f"cadence{n}_days", []).append(_("回访周期应在 1 到 3650 天之间。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def value_settings_update(*, actor: User, data: Mapping[str, Any], version: int) -> ValueSettings:
    """Change the settings; ``version`` guards against overwriting someone's change."""
    if not actor.is_admin_role:
        raise ValidationError(_("只有管理员可以修改客户价值设置。"))
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    ValueSettings.objects.get_or_create(pk=1)
    conf = ValueSettings.objects.get(pk=1)
    for key, value in data.items():
        setattr(conf, key, value)
    conf.full_clean(exclude=["updated_by"])
    _settings_check(conf)
    done = ValueSettings.objects.filter(pk=conf.pk, version=version).update(
        **{key: getattr(conf, key) for key in data},
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    if not done:
        raise ConflictError(
            _("设置已被他人修改，请刷新后再试。"),
            details={"current_version": ValueSettings.objects.get(pk=conf.pk).version},
        )
    return ValueSettings.objects.get(pk=conf.pk)


# --- the scoring run ------------------------------------------------------------------------


def runs_stale_mark(*, now: dt.datetime | None = None) -> int:
    """Runs left ``running`` by a process that died: failed, ``interrupted``."""
    now = now or timezone.now()
    return ScoreRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(status=RunStatus.FAILED, message_code="interrupted", finished_at=now)


def _nothing(fraction: float, label: str) -> None:
    return None


def score_run(
    *, as_of: dt.date, actor: User | None = None, progress: Progress | None = None
) -> ScoreRun:
    """Score every customer as of the end of local day ``as_of`` (see the module doc)."""
    step = progress or _nothing
    runs_stale_mark()
    run = ScoreRun.objects.create(
        as_of=as_of, started_at=timezone.now(), status=RunStatus.RUNNING, actor=actor
    )
    conf = value_settings()
    run.detail = {"settings": _settings_snapshot(conf)}
    try:
        _score(run, conf, step)
    except BaseException as exc:
        code = "error" if isinstance(exc, Exception) else "interrupted"
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            message_code=code,
            detail={**run.detail, "error": f"{type(exc).__name__}: {exc}"[:500]},
            finished_at=timezone.now(),
        )
        raise
    step(1.0, _("完成"))
    run.refresh_from_db()
    return run


def _settings_snapshot(conf: ValueSettings) -> dict[str, Any]:
    return {
        "rfm_bins": conf.rfm_bins,
        "thresholds": conf.thresholds(),
        "retention_cost": float(conf.retention_cost),
        "clv_months": conf.clv_months,
        "monthly_discount": float(conf.monthly_discount),
        "cost_to_serve": float(conf.cost_to_serve),
    }


def rfm_segments(r: np.ndarray, f: np.ndarray, m: np.ndarray, bins: int) -> np.ndarray:
    """A name per customer from its R and F/M scores (scaled to 1..5)."""
    scale = 5.0 / bins
    rs = np.ceil(r * scale)
    fm = np.ceil((f + m) / 2 * scale)
    out = np.full(r.shape[0], "need_attention", dtype=object)
    out[(rs <= 2) & (fm < 3)] = "hibernating"
    out[(rs <= 2) & (fm >= 3)] = "at_risk"
    out[(rs >= 4) & (fm < 3)] = "promising"
    out[(rs >= 4) & (np.ceil(f * scale) <= 1)] = "new"
    out[(rs >= 3) & (fm >= 3)] = "loyal"
    out[(rs >= 4) & (fm >= 4)] = "champions"
    return out


@dataclass
class _Scored:
    summary: Summary
    revenue_cents: np.ndarray
    profit_cents: np.ndarray
    profit_known: np.ndarray
    profit_for_split: np.ndarray  # yuan, estimated where cost is unknown
    margin: float | None
    recency_days: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segments: np.ndarray
    split: np.ndarray
    tier: np.ndarray
    model: Model
    risk: np.ndarray
    reasons: list[list[risk_module.Reason]]
    stake: np.ndarray
    worth: np.ndarray


def _score(run: ScoreRun, conf: ValueSettings, step: Progress) -> None:
    step(0.02, _("读取订单"))
    rows = scoring.purchases_read()
    alive = scoring.alive_customers()
    found, _index = scoring.member(alive, rows.customer)
    rows = rows.take(found)
    day = scoring.local_days(rows.epoch)
    as_of_day = run.as_of.toordinal()
    future = day > as_of_day
    run.future_orders_ignored = int(future.sum())
    if run.future_orders_ignored:
        rows, day = rows.take(~future), day[~future]
    run.orders = len(rows)
    step(0.4, _("汇总客户"))
    if not len(rows):
        _finish(run, RunStatus.FAILED, "no_data", {})
        return
    s = summarize(rows.customer, day, rows.net_cents / 100.0, as_of_day=as_of_day, unit_days=1.0)
    run.customers = len(s)
    run.repeat_customers = int((s.frequency > 0).sum())
    step(0.45, _("回测模型"))
    test = backtest.compare(
        rows.customer,
        day,
        rows.net_cents / 100.0,
        as_of_day=as_of_day,
        horizon_days=int(conf.clv_months) * 30,
        customers=len(s),
    )
    step(0.5, _("拟合模型"))
    model = models_fit(
        s, test, clv_months=int(conf.clv_months), discount=float(conf.monthly_discount)
    )
    step(0.6, _("计算风险"))
    step(0.55, _("学习流失预警"))
    side = scoring.side_rows(until=run.as_of)
    warning = warning_learn(
        rows.customer,
        day,
        rows.net_cents / 100.0,
        as_of=run.as_of,
        purchase_model=(model.params or {}).get("model") if model.fitted else None,
        side=side,
        customers=len(s),
    )
    scored = _compute(s, rows, day, as_of_day, run.as_of, conf, model, side, warning)
    status = RunStatus.SUCCEEDED
    if not model.fitted:
        status = RunStatus.INSUFFICIENT if model.code == "insufficient_data" else RunStatus.FAILED
    step(0.7, _("保存结果"))
    with transaction.atomic():
        _write(run, scored, step)
        warning_store(run, warning)
        run.params = model.params or {}
        detail = {**(model.detail or {})}
        step(0.93, _("目标客户匹配度"))
        detail["target_fit"] = target_fit_run(
            run=run, as_of=run.as_of, customers=s.customer, top=scored.split == 1
        )
        if model.code == "insufficient_data":
            detail.setdefault("repeat_customers", run.repeat_customers)
        run.summary = _summary(run, scored)
        _finish(run, status, model.code, detail)
        _replace_same_day(run)
    step(0.95, _("清理历史"))
    runs_prune(today=run.as_of)


def _finish(run: ScoreRun, status: str, code: str, detail: Mapping[str, Any]) -> None:
    run.status = status
    run.message_code = code
    run.detail = {**run.detail, **detail}
    run.finished_at = timezone.now()
    run.save()


def _compute(
    s: Summary,
    rows: scoring.Purchases,
    day: np.ndarray,
    as_of_day: int,
    as_of: dt.date,
    conf: ValueSettings,
    model: Model,
    side_rows: scoring.SideRows,
    warning: churn_model.WarningFit,
) -> _Scored:
    n = len(s)
    _found, idx = scoring.member(s.customer, rows.customer)
    net = rows.net_cents.astype(np.float64)
    revenue_cents = np.bincount(idx, weights=net, minlength=n)
    known = ~rows.cost_unknown
    profit_cents = np.bincount(
        idx[known], weights=(rows.net_cents - rows.cost_cents)[known], minlength=n
    )
    unknown_orders = np.bincount(idx, weights=rows.cost_unknown.astype(np.float64), minlength=n)
    profit_known = unknown_orders == 0
    known_revenue = float(net[known].sum())
    margin = float(profit_cents.sum()) / known_revenue if known_revenue > 0 else None
    unknown_revenue = np.bincount(idx[~known], weights=net[~known], minlength=n)
    if margin is None:
        profit_for_split = revenue_cents / 100.0  # no cost recorded at all: split by revenue
    else:
        profit_for_split = (profit_cents + unknown_revenue * margin) / 100.0
    recency_days = (as_of_day - s.last_day).astype(np.int64)
    bins = int(conf.rfm_bins)
    r, f, m = rfm.rfm(recency_days, s.orders, revenue_cents / 100.0, bins=bins)
    segments = rfm_segments(r, f, m, bins)
    years = (s.T + 1.0) / 365.0
    split = pareto.split_20_60_20(profit_for_split, float(conf.cost_to_serve) * years)
    tier = tiers.stars(revenue_cents / 100.0, s.orders.astype(np.float64), conf.thresholds())
    # Risk inputs.
    recent = day > as_of_day - risk_module.RECENT_VALUE_DAYS
    counts_recent = np.bincount(idx[recent], minlength=n)
    counts_earlier = np.bincount(idx[~recent], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        value_recent = np.bincount(idx[recent], weights=net[recent], minlength=n) / 100.0
        value_recent = np.where(counts_recent > 0, value_recent / counts_recent, np.nan)
        value_earlier = np.bincount(idx[~recent], weights=net[~recent], minlength=n) / 100.0
        value_earlier = np.where(counts_earlier > 0, value_earlier / counts_earlier, np.nan)
        usual_gap = np.where(s.frequency > 0, s.recency / np.maximum(s.frequency, 1), np.nan)
    year = day > as_of_day - 365
    revenue_12m = np.bincount(idx[year], weights=net[year], minlength=n) / 100.0
    side = side_rows.facts(s.customer, as_of=as_of)
    inputs = risk_module.RiskInputs(
        days_since_purchase=recency_days,
        usual_gap=usual_gap,
        p_alive=model.p_alive,
        p_quiet=model.p_quiet,
        complaints_30d=side.complaints_30d,
        csat_latest=side.csat_latest,
        csat_previous=side.csat_previous,
        value_recent=value_recent,
        value_earlier=value_earlier,
        days_since_contact=side.days_since_contact,
        usual_contact_gap=side.usual_contact_gap,
    )
    churn = risk_module.churn_risk(inputs)
    learned, weights = churn_model.warning_score(
        warning, inputs, frequency=s.frequency, tenure_days=s.T, expected=model.expected_90
    )
    reasons = risk_module.reasons_all(inputs, churn)
    if weights is not None:  # the learned model's weights order the reasons
        reasons = churn_model.reasons_weighted(
            reasons,
            weights,
            days_since=recency_days,
            purchases=s.frequency + 1,
            warned=(churn.score if learned is None else learned) >= AT_RISK,
        )
    saving = risk_module.worth_saving(
        clv=model.clv,
        p_alive=model.p_alive,
        revenue_12m=revenue_12m,
        retention_cost=float(conf.retention_cost),
    )
    return _Scored(
        summary=s,
        revenue_cents=revenue_cents,
        profit_cents=profit_cents,
        profit_known=profit_known,
        profit_for_split=profit_for_split,
        margin=margin,
        recency_days=recency_days,
        r=r,
        f=f,
        m=m,
        segments=segments,
        split=split,
        tier=tier,
        model=model,
        risk=churn.score if learned is None else learned,
        reasons=reasons,
        stake=saving.money_at_stake,
        worth=saving.worth,
    )


SEGMENT_OF = {1: Segment.TOP.value, 0: Segment.MIDDLE.value, -1: Segment.DRAIN.value}


def _money(cents: float) -> str:
    return f"{cents / 100:.2f}"


def _write(run: ScoreRun, sc: _Scored, step: Progress) -> None:
    """INSERT every row in chunks (``core.sql.rows_insert``; one transaction: the caller's)."""
    s = sc.summary
    n = len(s)
    model = sc.model
    risk_rounded = np.round(sc.risk, 4)
    at_risk = sc.risk >= AT_RISK

    def column(values: np.ndarray | None, part: slice, places: int | None = None) -> list[Any]:
        if values is None:
            return [None] * (part.stop - part.start)
        return (np.round(values[part], places) if places else values[part]).tolist()

    for start in range(0, n, WRITE_CHUNK):
        stop = min(n, start + WRITE_CHUNK)
        part = slice(start, stop)
        r, f, m = sc.r[part].tolist(), sc.f[part].tolist(), sc.m[part].tolist()
        known = sc.profit_known[part].tolist()
        value = column(None if model.clv is None else np.round(model.clv * 100), part)
        rows = [
            {
                "run_id": run.pk,
                "customer_id": customer,
                "recency_days": recency,
                "r": r[i],
                "f": f[i],
                "m": m[i],
                "rfm_score": r[i] + f[i] + m[i],
                "rfm_segment": segment,
                "orders": orders,
                "revenue": _money(revenue),
                "profit": _money(profit) if known[i] else None,
                "segment": SEGMENT_OF[split],
                "tier": tier,
                "clv": _money(value[i]) if value[i] is not None else None,
                "p_alive": alive,
                "expected_purchases_90d": expected,
                "risk": risk,
                "at_risk": flag,
                "reasons": [{"code": c, "params": p} for c, p in sc.reasons[start + i]],
                "money_at_stake": _money(stake),
                "worth_saving": worth,
            }
            for i, (
                customer, recency, segment, orders, revenue, profit, split, tier, alive,
                expected, risk, flag, stake, worth,
            ) in enumerate(
                zip(
                    s.customer[part].tolist(),
                    sc.recency_days[part].tolist(),
                    sc.segments[part].tolist(),
                    s.orders[part].tolist(),
                    sc.revenue_cents[part].tolist(),
                    sc.profit_cents[part].tolist(),
                    sc.split[part].tolist(),
                    sc.tier[part].tolist(),
                    column(model.p_alive, part, 4),
                    column(model.expected_90, part, 4),
                    risk_rounded[part].tolist(),
                    at_risk[part].tolist(),
                    np.round(sc.stake[part] * 100).tolist(),
                    sc.worth[part].tolist(),
                    strict=True,
                )
            )
        ]  # fmt: skip
        rows_insert(CustomerValue, rows)
        step(0.7 + 0.25 * stop / max(n, 1), _("保存结果"))


# --- the run summary (the dashboard's numbers) --------------------------------------------------


def _r(value: float, places: int = 4) -> float:
    value = float(value)
    return round(value, places) if np.isfinite(value) else 0.0


def _share(part: float, whole: float) -> float | None:
    return _r(part / whole) if whole else None


def _summary(run: ScoreRun, sc: _Scored) -> dict[str, Any]:
    s = sc.summary
    n = len(s)
    revenue = sc.revenue_cents / 100.0
    profit = sc.profit_for_split
    total_revenue, total_profit = float(revenue.sum()), float(profit.sum())
    x, y = pareto.concentration(revenue, points=101)
    curve: dict[str, Any] = {
        "x": [_r(v) for v in x],
        "revenue": [_r(v) for v in y],
        "profit": None,
        "top20_revenue": _r(pareto.share_of_top(revenue, 0.2)),
        "top20_profit": None,
    }
    if sc.margin is not None:
        _px, py = pareto.concentration(profit, points=101)
        curve["profit"] = [_r(v) for v in py]
        curve["top20_profit"] = _r(pareto.share_of_top(profit, 0.2))
    split = []
    for code, key in ((1, Segment.TOP), (0, Segment.MIDDLE), (-1, Segment.DRAIN)):
        mask = sc.split == code
        split.append(
            {
                "segment": key.value,
                "customers": int(mask.sum()),
                "revenue": _r(revenue[mask].sum(), 2),
                "profit": _r(profit[mask].sum(), 2),
                "revenue_share": _share(float(revenue[mask].sum()), total_revenue),
                "profit_share": _share(float(profit[mask].sum()), total_profit),
            }
        )
    tier_rows = []
    for t in TIERS:
        mask = sc.tier == t
        tier_rows.append(
            {
                "tier": t,
                "customers": int(mask.sum()),
                "revenue": _r(revenue[mask].sum(), 2),
                "share": _share(float(mask.sum()), n),
            }
        )
    at_risk = sc.risk >= AT_RISK
    summary: dict[str, Any] = {
        "customers": n,
        "revenue": _r(total_revenue, 2),
        "profit": _r(total_profit, 2),
        "profit_estimated": bool(sc.margin is not None and not sc.profit_known.all()),
        "profit_recorded": sc.margin is not None,
        "pareto": curve,
        "split": split,
        "tiers": tier_rows,
        "movement": _movement(run, s.customer, sc.tier),
        "clv": _clv_histogram(sc.model.clv),
        "rfm_segments": {name: int((sc.segments == name).sum()) for name in RFM_SEGMENTS},
        "at_risk": {
            "customers": int(at_risk.sum()),
            "money_at_stake": _r(sc.stake[at_risk].sum(), 2),
            "worth_saving": int((at_risk & sc.worth).sum()),
        },
    }
    if sc.model.p_alive is not None:
        summary["mean_p_alive"] = _r(sc.model.p_alive.mean())
    return summary


def _clv_histogram(values: np.ndarray | None) -> dict[str, Any] | None:
    if values is None or values.shape[0] == 0:
        return None
    edges = np.array([*CLV_EDGES, np.inf])
    counts, _edges = np.histogram(values, bins=edges)
    labels = []
    for low, high in zip(CLV_EDGES, [*CLV_EDGES[1:], None], strict=True):
        labels.append(f"{low:,}–{high:,}" if high is not None else f"≥{low:,}")
    return {
        "labels": labels,
        "counts": [int(c) for c in counts],
        "total": _r(values.sum(), 2),
        "mean": _r(values.mean(), 2),
        "median": _r(np.median(values), 2),
    }


def previous_month_run(as_of: dt.date, *, exclude: int | None = None) -> ScoreRun | None:
    """The last usable run dated before the first day of ``as_of``'s month."""
    first = as_of.replace(day=1)
    runs = ScoreRun.objects.filter(
        as_of__lt=first, status__in=(RunStatus.SUCCEEDED, RunStatus.INSUFFICIENT), customers__gt=0
    )
    if exclude is not None:
        runs = runs.exclude(pk=exclude)
    return runs.order_by("-as_of", "-id").first()


def _movement(run: ScoreRun, customers: np.ndarray, tier: np.ndarray) -> dict[str, Any]:
    before = previous_month_run(run.as_of, exclude=run.pk)
    if before is None:
        return {"previous_as_of": None}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, tier FROM {CustomerValue._meta.db_table} WHERE run_id = %s",
            [before.pk],
        )
        old = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
    old = old[np.argsort(old[:, 0])] if old.shape[0] else old
    found, index = scoring.member(old[:, 0], customers)
    old_tier = np.where(found, old[index, 1] if old.shape[0] else 0, 0)
    matrix = [[0] * 5 for _ in TIERS]
    pairs = old_tier[found] * 10 + tier[found]
    values, counts = np.unique(pairs, return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        matrix[value // 10 - 1][value % 10 - 1] = int(count)
    return {
        "previous_as_of": before.as_of.isoformat(),
        "matrix": matrix,  # [from tier − 1][to tier − 1]
        "up": int((tier[found] > old_tier[found]).sum()),
        "down": int((tier[found] < old_tier[found]).sum()),
        "same": int((tier[found] == old_tier[found]).sum()),
        "new": int((~found).sum()),
    }


# --- keeping history bounded ------------------------------------------------------------------


def _delete_runs(ids: list[int]) -> None:
    table = CustomerValue._meta.db_table
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [pk])
    ScoreRun.objects.filter(pk__in=ids).delete()


def _replace_same_day(run: ScoreRun) -> None:
    """Earlier runs of the same day are replaced by this one (a successful one replaces
    every other; one that did not succeed replaces only runs that did not either)."""
    others = ScoreRun.objects.filter(as_of=run.as_of).exclude(pk=run.pk)
    others = others.exclude(status=RunStatus.RUNNING)
    if run.status != RunStatus.SUCCEEDED:
        others = others.exclude(status=RunStatus.SUCCEEDED)
    _delete_runs(list(others.values_list("pk", flat=True)))


def runs_prune(*, today: dt.date) -> int:
    """Keep every run of the last ``KEEP_DAYS`` days and the last run of each month
    (the last good one, when the month has one); delete the others with their rows."""
    cutoff = today - dt.timedelta(days=KEEP_DAYS)
    old = list(
        ScoreRun.objects.filter(as_of__lt=cutoff)
        .exclude(status=RunStatus.RUNNING)
        .order_by("as_of", "id")
        .values_list("pk", "as_of", "status")
    )
    last: dict[tuple[int, int], int] = {}
    last_good: dict[tuple[int, int], int] = {}
    for pk, as_of, status in old:
        month = (as_of.year, as_of.month)
        last[month] = pk
        if status == RunStatus.SUCCEEDED:
            last_good[month] = pk
    kept = {last_good.get(month, pk) for month, pk in last.items()}
    doomed = [pk for pk, _as_of, _status in old if pk not in kept]
    _delete_runs(doomed)
    return len(doomed)


# --- the at-risk list: one-click retention task ---------------------------------------------

RETENTION_DUE_DAYS = 3


def retention_task_create(
    *, actor: User, customer: Any, reasons: list[Mapping[str, Any]]
) -> tuple[Any, bool]:
    """A retention call (挽留回访) for ``customer``, due in three days, with the warning's
    ``reasons`` (as scored: ``{"code", "params"}``) in its notes; ``(task, created)`` —
    an open retention task is not doubled (found by its purpose, whatever its title
    became). Its words are rendered in the reader's language (``texts.retention_*``)."""
    from kehu.followups.models import Task, TaskKind, TaskPurpose, TaskStatus
    from kehu.followups.services import task_create

    existing = (
        Task.objects.filter(
            customer=customer, status=TaskStatus.OPEN, purpose=TaskPurpose.RETENTION
        )
        .order_by("-id")
        .first()
    )
    if existing is not None:
        return existing, False
    task = task_create(
        actor=actor,
        customer=customer,
        purpose=TaskPurpose.RETENTION,
        message=RETENTION_MESSAGE,
        params={
            "customer": customer.name,
            "reasons": [
                {"code": str(r.get("code", "")), "params": dict(r.get("params") or {})}
                for r in reasons
                if isinstance(r, Mapping)
            ],
        },
        data={
            "kind": TaskKind.CALL,
            "due_at": timezone.now() + dt.timedelta(days=RETENTION_DUE_DAYS),
        },
    )
    return task, True
