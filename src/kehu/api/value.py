"""Customer value API: RFM, tier, CLV, P(alive), risk; Pareto, at-risk, the model fit.

All from the latest successful scoring run (or, before there is one, the latest RFM-only
run); 404 ``no_score`` while nothing has been scored. Money is a decimal string.
Access as on the pages (``kehu.value.access``): a customer the caller may not see is 404;
the Pareto data and the model need a dashboard role (403 otherwise), the at-risk list a
role that has it, filtered to the customers the caller may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    Text32,
    Text50,
    Text64,
    customer_or_404,
)
from kehu.api.errors import ApiError, error_responses
from kehu.core.money import money_text
from kehu.customers.models import CompanySize, CustomerKind, Gender, IncomeBand, SourceChannel
from kehu.value.access import access_at_risk, access_dashboard, access_target_fit
from kehu.value.models import CustomerValue, ScoreRun
from kehu.value.selectors import (
    FitResult,
    at_risk_page,
    customer_target_fit,
    customer_value,
    pareto_data,
    run_latest_good,
    run_text,
    target_fit_profile,
)
from kehu.value.texts import reasons_texts

router = Router(tags=["value"])

ParamValue = float | int | str


class ReasonOut(Schema):
    code: str
    text: str
    params: dict[str, ParamValue]


class RiskOut(Schema):
    score: float = Field(description="0..1")
    at_risk: bool
    reasons: list[ReasonOut]


class RfmOut(Schema):
    r: int
    f: int
    m: int
    score: int = Field(description="R + F + M")
    segment: str


class TrendPointOut(Schema):
    as_of: dt.date
    tier: int
    clv: str | None
    risk: float


class FitReasonOut(Schema):
    attribute: str = Field(description="industry, province, city, company_size, kind, ...")
    value: str
    weight: float | None = Field(description="Its contribution, in log-odds.")
    text: str = Field(description='In words: "行业=餐饮".')


class TargetFitOut(Schema):
    score: int = Field(
        description="0..100: the chance, in %, that a customer with this profile is among "
        "the top 20 % by profit."
    )
    base: int = Field(description="The same for the average customer (about 20).")
    as_of: dt.date = Field(description="The day of the run that fitted the table.")
    reasons: list[FitReasonOut] = Field(description="The attributes that raise it most.")
    text: str = Field(description='"与高价值客户相似：行业=餐饮，城市=佛山".')


class CustomerValueOut(Schema):
    customer_id: int
    as_of: dt.date
    rfm_only: bool = Field(description="True: the model could not be fitted; no CLV/P(alive).")
    rfm: RfmOut
    tier: int = Field(description="Stars, 1..5.")
    orders: int
    revenue: str
    profit: str | None = Field(description="None when some order's cost is unknown.")
    segment: str = Field(description="top / middle / drain (the 20/60/20 split).")
    clv: str | None
    p_alive: float | None
    expected_purchases_90d: float | None
    risk: RiskOut
    money_at_stake: str
    worth_saving: bool
    trend: list[TrendPointOut]
    target_fit: TargetFitOut | None = Field(
        description="Target fit (目标客户定位); None while nothing is fitted."
    )


def _no_score() -> ApiError:
    return ApiError(404, "no_score", _("还没有价值评分。"))


def _fit_out(fit: FitResult) -> dict[str, Any]:
    return {
        "score": fit.score,
        "base": fit.base,
        "as_of": fit.as_of,
        "reasons": fit.reasons,
        "text": fit.text,
    }


def _value_out(row: CustomerValue, run: ScoreRun, trend: list[CustomerValue]) -> dict[str, Any]:
    return {
        "customer_id": row.customer_id,
        "as_of": run.as_of,
        "rfm_only": run.rfm_only,
        "rfm": {
            "r": row.r,
            "f": row.f,
            "m": row.m,
            "score": row.rfm_score,
            "segment": row.rfm_segment,
        },
        "tier": row.tier,
        "orders": row.orders,
        "revenue": money_text(row.revenue),
        "profit": money_text(row.profit),
        "segment": row.segment,
        "clv": money_text(row.clv),
        "p_alive": row.p_alive,
        "expected_purchases_90d": row.expected_purchases_90d,
        "risk": {
            "score": row.risk,
            "at_risk": row.at_risk,
            "reasons": reasons_texts(row.reasons),
        },
        "money_at_stake": money_text(row.money_at_stake),
        "worth_saving": row.worth_saving,
        "trend": [
            {"as_of": t.run.as_of, "tier": t.tier, "clv": money_text(t.clv), "risk": t.risk}
            for t in trend
        ],
    }


@router.get(
    "/customers/{customer_id}/value",
    response={200: CustomerValueOut, **error_responses(404, "no_score")},
    summary="A customer's value: RFM, tier, CLV, P(alive), expected purchases, churn risk",
    description="404 ``no_score``: nothing scored yet, or the customer had no purchase by then.",
)
def customer_value_get(request: HttpRequest, customer_id: int) -> Any:
    customer = customer_or_404(request, customer_id)
    view = customer_value(customer)
    if view.run is None or view.value is None:
        raise _no_score()
    fit = customer_target_fit(customer)
    return {
        **_value_out(view.value, view.run, view.trend),
        "target_fit": _fit_out(fit) if fit is not None else None,
    }


class ProfileIn(Schema):
    """A profile to score (a lead's, a prospect's): every field optional."""

    model_config = ConfigDict(extra="forbid")

    industry: Text64 = ""
    province: Text32 = ""
    city: Text32 = ""
    company_size: CompanySize | None = None
    kind: CustomerKind | None = None
    source_channel: SourceChannel | None = None
    gender: Gender | None = None
    income_band: IncomeBand | None = None
    birthday: dt.date | None = Field(None, description="YYYY-MM-DD: its age band counts.")
    tags: list[Text50] = Field([], max_length=50, description="Tag names.")


@router.post(
    "/value/target-fit",
    response={200: TargetFitOut, **error_responses(403, "no_score")},
    summary="Score a profile (a lead's) by how much it resembles the best customers",
    description="From the table the latest value run fitted, without refitting. 404 "
    "``no_score`` while nothing is fitted; 422 ``invalid`` for a code that is not one.",
)
def target_fit_post(request: HttpRequest, body: ProfileIn) -> Any:
    access_target_fit(actor_of(request))
    profile = {k: v for k, v in body.dict().items() if v not in (None, "")}
    fit = target_fit_profile(profile)
    if fit is None:
        raise _no_score()
    return _fit_out(fit)


# --- analytics ---------------------------------------------------------------------------------


class SplitOut(Schema):
    segment: str
    customers: int
    revenue: float
    profit: float
    revenue_share: float | None
    profit_share: float | None


class ParetoOut(Schema):
    as_of: dt.date
    customers: int
    revenue: float
    profit: float
    profit_recorded: bool
    profit_estimated: bool = Field(description="Some costs unknown: estimated at the mean margin.")
    customer_share: list[float] = Field(description="0..1, customers sorted by value, descending.")
    revenue_share: list[float]
    profit_share: list[float] | None
    top20_revenue: float | None
    top20_profit: float | None
    split: list[SplitOut]


@router.get(
    "/analytics/pareto",
    response={200: ParetoOut, **error_responses(403, "no_score")},
    summary="Revenue and profit concentration, and the 20/60/20 split",
)
def analytics_pareto(request: HttpRequest) -> Any:
    access_dashboard(actor_of(request))
    run = run_latest_good()
    if run is None:
        raise _no_score()
    data = pareto_data(run)
    curve = data.pop("curve")
    return {
        **data,
        "customer_share": curve.get("x") or [],
        "revenue_share": curve.get("revenue") or [],
        "profit_share": curve.get("profit"),
        "top20_revenue": curve.get("top20_revenue"),
        "top20_profit": curve.get("top20_profit"),
    }


class AtRiskQuery(Schema):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25
    segment: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Field(
        None, description="Only the members of this segment (one you may see; else 404)."
    )


class AtRiskItemOut(Schema):
    customer_id: int
    name: str
    owner_id: int | None
    tier: int
    risk: RiskOut
    clv: str | None
    p_alive: float | None
    money_at_stake: str
    worth_saving: bool
    worth_saving_text: str


class AtRiskOut(Schema):
    as_of: dt.date
    count: int
    count_is_capped: bool = Field(description="true: at least ``count`` (counted up to a cap).")
    page: int
    num_pages: int
    items: list[AtRiskItemOut]


@router.get(
    "/analytics/at-risk",
    response={200: AtRiskOut, **error_responses(403, "no_score", (404, "not_found"))},
    summary="Customers at risk of churning, most money at stake first",
    description="Only the customers the caller may see. 404 ``page_out_of_range`` past the end.",
)
def analytics_at_risk(request: HttpRequest, query: Query[AtRiskQuery]) -> Any:
    actor = actor_of(request)
    access_at_risk(actor)
    page = at_risk_page(actor, page=query.page, page_size=query.page_size, segment=query.segment)
    if page.run is None:
        raise _no_score()
    return {
        "as_of": page.run.as_of,
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "page": page.page,
        "num_pages": page.num_pages,
        "items": [
            {
                "customer_id": item.value.customer_id,
                "name": item.value.customer.name,
                "owner_id": item.value.customer.owner_id,
                "tier": item.value.tier,
                "risk": {
                    "score": item.value.risk,
                    "at_risk": item.value.at_risk,
                    "reasons": item.reasons,
                },
                "clv": money_text(item.value.clv),
                "p_alive": item.value.p_alive,
                "money_at_stake": money_text(item.value.money_at_stake),
                "worth_saving": item.value.worth_saving,
                "worth_saving_text": item.saving,
            }
            for item in page.items
        ],
    }


class BgnbdOut(Schema):
    r: float
    alpha: float
    a: float
    b: float


class GammaGammaOut(Schema):
    p: float
    q: float
    v: float


class ModelScoreOut(Schema):
    code: str = Field(
        description='"ok", or why the model could not be fitted on the calibration part.'
    )
    rmse: float | None = Field(description="Root mean squared error of each customer's purchases.")
    auc: float | None = Field(description="How well P(no purchase) ranks who bought nothing.")
    predicted: float | None = Field(description="Purchases predicted for the holdout, in all.")
    log_likelihood: float | None


class BacktestOut(Schema):
    code: str = Field(description='"ok", "short_history" (too little history) or "no_fit".')
    holdout_days: int
    customers: int
    actual: int = Field(description="Purchases the customers made in the holdout.")
    best: str | None
    scores: dict[str, ModelScoreOut]


class ValueModelOut(Schema):
    as_of: dt.date
    status: str
    message_code: str
    message: str
    time_unit: str = Field(description='"day": rates are per day.')
    model: str = Field(
        description='The purchase model that scored the customers: "bgnbd" or "mbgnbd" '
        "(the one with the better back-test on the business's own history)."
    )
    chosen_by: str | None = Field(description='"backtest" or "likelihood" (history too short).')
    bgnbd: BgnbdOut | None = Field(description="None when the model could not be fitted.")
    mbgnbd: BgnbdOut | None = Field(description="MBG/NBD: may drop out after the first purchase.")
    backtest: BacktestOut | None
    gamma_gamma: GammaGammaOut | None
    customers: int
    repeat_customers: int
    orders: int
    future_orders_ignored: int


@router.get(
    "/analytics/model",
    response={200: ValueModelOut, **error_responses(403, "no_score")},
    summary="The latest fit: BG/NBD and Gamma-Gamma parameters, data sufficiency",
)
def analytics_model(request: HttpRequest) -> Any:
    access_dashboard(actor_of(request))
    run = run_latest_good()
    if run is None:
        raise _no_score()
    params = run.params or {}
    return {
        "as_of": run.as_of,
        "status": run.status,
        "message_code": run.message_code,
        "message": run_text(run),
        "time_unit": params.get("time_unit", "day"),
        "model": params.get("model", "bgnbd"),
        "chosen_by": params.get("chosen_by"),
        "bgnbd": params.get("bgnbd"),
        "mbgnbd": params.get("mbgnbd"),
        "backtest": params.get("backtest"),
        "gamma_gamma": params.get("gamma_gamma"),
        "customers": run.customers,
        "repeat_customers": run.repeat_customers,
        "orders": run.orders,
        "future_orders_ignored": run.future_orders_ignored,
    }
