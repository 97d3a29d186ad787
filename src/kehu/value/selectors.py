"""Reads of customer value: the latest good run, a customer's value and trend, the
at-risk list (filtered by what the user may see), the dashboard's numbers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import User
from kehu.care.cadence import customer_cadence_days
from kehu.core.paging import PageNav, pages_for
from kehu.core.sql import values_in
from kehu.customers.access import visibility_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import Customer
from kehu.customers.search import q_through
from kehu.customers.selectors import PageOutOfRange
from kehu.value.models import CustomerValue, RunStatus, ScoreRun, TargetFit
from kehu.value.services import value_settings
from kehu.value.target_fit import (  # noqa: F401  (re-exported for the apps above)
    FitResult,
    customer_target_fit,
    reasons_sentence,
    table_latest,
    target_fit_profile,
    target_fit_score,
)
from kehu.value.target_fit import (
    reasons_texts as fit_reasons_texts,
)
from kehu.value.texts import reasons_texts, run_message, saving_text

TREND_RUNS = 12
# Warnings counted for a user who sees part of the customers: lower than the customer
# list's cap, as each counted row is a join (10,000 made a salesperson's page 46 → 100 ms).
COUNT_CAP = 1000
USABLE = Q(status=RunStatus.SUCCEEDED) | (
    Q(status__in=(RunStatus.INSUFFICIENT, RunStatus.FAILED), customers__gt=0)
    & ~Q(message_code__in=("error", "interrupted", "no_data"))
)


def run_latest() -> ScoreRun | None:
    """The latest finished run, whatever its outcome (for the "last run" banner)."""
    return ScoreRun.objects.exclude(status=RunStatus.RUNNING).order_by("-as_of", "-id").first()


def run_latest_good() -> ScoreRun | None:
    """The latest successful run; without one yet, the latest RFM-only run with rows."""
    found = ScoreRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-as_of", "-id").first()
    if found is not None:
        return found
    return ScoreRun.objects.filter(USABLE).order_by("-as_of", "-id").first()


def runs_recent(limit: int = 30) -> list[ScoreRun]:
    return list(ScoreRun.objects.select_related("actor").order_by("-started_at", "-id")[:limit])


def run_text(run: ScoreRun | None) -> str:
    return run_message(run.message_code, run.detail) if run is not None else ""


@dataclass(frozen=True)
class PurchaseModelRow:
    """One purchase model of a run, for the model page: its fit and its back-test."""

    name: str  # "bgnbd" | "mbgnbd"
    label: str
    used: bool
    params: dict[str, float] | None
    log_likelihood: float | None
    rmse: float | None
    auc: float | None
    predicted: float | None


MODEL_LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"}


def purchase_models(run: ScoreRun | None) -> list[PurchaseModelRow]:
    """BG/NBD and MBG/NBD side by side as the run fitted and back-tested them (a run from
    before MBG/NBD shows BG/NBD alone, used)."""
    params = (run.params or {}) if run is not None else {}
    used = params.get("model", "bgnbd")
    scores = (params.get("backtest") or {}).get("scores") or {}
    rows = []
    for name, label in MODEL_LABELS.items():
        fitted = params.get(name)
        score = scores.get(name) or {}
        if fitted is None and not score and name != used:
            continue
        rows.append(
            PurchaseModelRow(
                name=name,
                label=label,
                used=name == used,
                params=fitted,
                log_likelihood=params.get(f"{name}_log_likelihood"),
                rmse=score.get("rmse"),
                auc=score.get("auc"),
                predicted=score.get("predicted"),
            )
        )
    return rows


def retention_cost(run: ScoreRun | None) -> Decimal:
    """The retention cost the run judged with (the settings' one if it did not say)."""
    if run is not None:
        cost = (run.detail or {}).get("settings", {}).get("retention_cost")
        if isinstance(cost, int | float) and math.isfinite(cost):
            return Decimal(str(cost))
    return value_settings().retention_cost


# --- a customer's value -------------------------------------------------------------------------


@dataclass
class CustomerValueView:
    run: ScoreRun | None
    value: CustomerValue | None
    trend: list[CustomerValue] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    saving: str = ""
    cadence_days: int | None = None
    days_since_contact: int | None = None
    overdue: bool = False


def customer_value(customer: Customer, *, trend: int = TREND_RUNS) -> CustomerValueView:
    """The customer's row in the latest good run, its trend and its contact cadence."""
    run = run_latest_good()
    view = CustomerValueView(run=run, value=None)
    if run is None:
        return view
    view.value = CustomerValue.objects.filter(run=run, customer=customer).first()
    rows = (
        CustomerValue.objects.filter(customer=customer)
        .select_related("run")
        .filter(run__in=ScoreRun.objects.filter(USABLE, as_of__lte=run.as_of))
        .order_by("-run__as_of", "-run_id")[:trend]
    )
    view.trend = list(reversed(list(rows)))
    if view.value is not None:
        view.reasons = reasons_texts(view.value.reasons)
        view.saving = saving_text(
            view.value.money_at_stake, retention_cost(run), view.value.worth_saving
        )
        # The cadence's days as the care card and the agenda decide them (care.cadence).
        view.cadence_days = customer_cadence_days(customer, view.value.tier)
        if customer.last_contact_at is not None:
            view.days_since_contact = max(0, (timezone.now() - customer.last_contact_at).days)
        since = view.days_since_contact
        view.overdue = since is None or since > view.cadence_days
    return view


# --- the at-risk list -----------------------------------------------------------------------------


@dataclass
class RiskRow:
    value: CustomerValue
    reasons: list[dict[str, Any]]
    saving: str


@dataclass
class RiskPage(PageNav):
    run: ScoreRun | None
    items: list[RiskRow]
    page: int
    page_size: int
    count: int
    num_pages: int = 1
    count_is_capped: bool = False


def _warnings(user: User, run: ScoreRun, segment: int | None = None) -> QuerySet[CustomerValue]:
    """The run's warnings about customers ``user`` may see (visibility as a join: read in
    money order, it stops when a page is full), of ``segment``'s members when given (an
    audience the user may see: ``Http404`` otherwise)."""
    rows = CustomerValue.objects.filter(run=run, at_risk=True, customer__deleted_at__isnull=True)
    rows = rows.filter(q_through(visibility_q(user), "customer__"))
    if segment:
        members = Customer.objects.filter(audience_for(user, "segment", segment).q)
        rows = rows.filter(customer_id__in=members.values("pk"))
    return rows


def at_risk_rows(
    user: User, segment: int | None = None
) -> tuple[ScoreRun | None, Iterator[RiskRow]]:
    """Every warning ``user`` may see, most money at stake first (the export)."""
    run = run_latest_good()
    if run is None:
        return None, iter(())
    cost = retention_cost(run)
    rows = (
        _warnings(user, run, segment)
        .select_related("customer", "customer__owner")
        .order_by("-money_at_stake", "id")
    )
    return run, (
        RiskRow(
            value=row,
            reasons=reasons_texts(row.reasons),
            saving=saving_text(row.money_at_stake, cost, row.worth_saving),
        )
        for row in rows.iterator(chunk_size=2000)
    )


def at_risk_page(
    user: User, *, page: int = 1, page_size: int | None = None, segment: int | None = None
) -> RiskPage:
    """One page of the at-risk customers ``user`` may see, most money at stake first."""
    page_size = page_size or settings.KEHU_PAGE_SIZE
    if page < 1:
        raise PageOutOfRange
    run = run_latest_good()
    if run is None:
        if page > 1:
            raise PageOutOfRange
        return RiskPage(run=None, items=[], page=1, page_size=page_size, count=0)
    rows = _warnings(user, run, segment)
    count = None
    if user.sees_all_customers and not segment:
        # Precomputed by the run (customers deleted since then are left out of the rows).
        count = (run.summary or {}).get("at_risk", {}).get("customers")
        count = count if isinstance(count, int) else None
    capped = False
    if count is None:
        # Counting every visible warning means reading them all (0.6 s for a salesperson
        # at 1M customers): count up to a cap and say "N+" beyond, as the customer list does.
        count = rows.values("id")[: COUNT_CAP + 1].count()
        capped = count > COUNT_CAP
        count = min(count, COUNT_CAP)
    num_pages = pages_for(count, page_size, page, capped=capped)
    if page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * page_size
    found = list(
        rows.select_related("customer", "customer__owner").order_by("-money_at_stake", "id")[
            offset : offset + page_size
        ]
    )
    cost = retention_cost(run)
    items = [
        RiskRow(
            value=row,
            reasons=reasons_texts(row.reasons),
            saving=saving_text(row.money_at_stake, cost, row.worth_saving),
        )
        for row in found
    ]
    return RiskPage(
        run=run,
        items=items,
        page=page,
        page_size=page_size,
        count=count,
        num_pages=num_pages,
        count_is_capped=capped,
    )


# --- the dashboard --------------------------------------------------------------------------------


def pareto_data(run: ScoreRun) -> dict[str, Any]:
    """The Pareto curve and the 20/60/20 split of a run (precomputed)."""
    summary = run.summary or {}
    return {
        "as_of": run.as_of,
        "customers": int(summary.get("customers", 0)),
        "revenue": summary.get("revenue", 0.0),
        "profit": summary.get("profit", 0.0),
        "profit_recorded": bool(summary.get("profit_recorded", False)),
        "profit_estimated": bool(summary.get("profit_estimated", False)),
        "curve": summary.get("pareto") or {},
        "split": summary.get("split") or [],
    }


def latest_scores(customer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """(customer id, RFM score, tier, P(alive), CLV, risk) of ``customer_ids`` in the
    latest usable run, for the lifecycle rules' facts (customers it did not score are
    left out)."""
    return scores_in(run_latest_good(), customer_ids)


def scores_in(run: ScoreRun | None, customer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """``latest_scores`` for a run already looked up (a caller reading many chunks)."""
    if run is None or not customer_ids:
        return []
    return list(
        CustomerValue.objects.filter(
            run=run, customer_id__in=values_in(list(customer_ids), "int")
        ).values_list("customer_id", "rfm_score", "tier", "p_alive", "clv", "risk")
    )


def tiers_between(run: ScoreRun | None, low: int, high: int) -> dict[int, int]:
    """Star tiers in ``run`` of the customers with ids from ``low`` to ``high`` (the care
    agenda reads them a run of customers at a time)."""
    if run is None:
        return {}
    return dict(
        CustomerValue.objects.filter(
            run=run, customer_id__gte=low, customer_id__lte=high
        ).values_list("customer_id", "tier")
    )


def latest_tiers() -> Callable[[int, int], dict[int, int]] | None:
    """The star tiers of the latest usable run, by ranges of customer ids (care's tier
    source reads them); None when nothing has been scored yet."""
    run = run_latest_good()
    return partial(tiers_between, run) if run is not None else None


# --- new customers by target fit (目标客户定位) ------------------------------------------------

NEW_CUSTOMER_DAYS = 90


@dataclass
class FitRow:
    fit: TargetFit
    reasons: list[dict[str, Any]]
    text: str


@dataclass
class FitPage(PageNav):
    run: ScoreRun | None
    base: int | None
    days: int
    items: list[FitRow]
    page: int
    page_size: int
    count: int
    num_pages: int = 1
    count_is_capped: bool = False


def new_customers_by_fit(
    user: User, *, days: int = NEW_CUSTOMER_DAYS, page: int = 1, page_size: int | None = None
) -> FitPage:
    """Customers created in the last ``days`` days that ``user`` may see, best target fit
    first (those created since the last run appear after the next one)."""
    page_size = page_size or settings.KEHU_PAGE_SIZE
    if page < 1:
        raise PageOutOfRange
    latest = table_latest()
    if latest is None:
        if page > 1:
            raise PageOutOfRange
        return FitPage(None, None, days, [], page=1, page_size=page_size, count=0)
    run, table = latest
    since = timezone.now() - dt.timedelta(days=days)
    rows = TargetFit.objects.filter(
        run=run, customer__created_at__gte=since, customer__deleted_at__isnull=True
    ).filter(q_through(visibility_q(user), "customer__"))
    count = rows.values("id")[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)
    num_pages = pages_for(count, page_size, page, capped=capped)
    if page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * page_size
    found = rows.select_related("customer", "customer__owner").order_by("-score", "customer_id")
    items = []
    for fit in found[offset : offset + page_size]:
        texts = fit_reasons_texts(fit.reasons)
        items.append(FitRow(fit=fit, reasons=texts, text=reasons_sentence(texts)))
    return FitPage(
        run,
        round(table.base * 100),
        days,
        items,
        page=page,
        page_size=page_size,
        count=count,
        num_pages=num_pages,
        count_is_capped=capped,
    )
