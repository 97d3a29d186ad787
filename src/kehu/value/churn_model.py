"""The churn warning learned from the business's own past (no Django).

As of earlier cut-off days, which customers bought nothing in the following
``HORIZON_DAYS``? Each cut-off gives one example per customer who had bought by then:
the signals the explained warning (:mod:`kehu.value.risk`) already reads, as they stood
on that day, and the label "no purchase in the window". An L2 logistic regression
(:mod:`kehu.value.calc.logistic`) learns how much each signal matters.

Horizon: 90 days, the warning's own — it reads P(no purchase in the next 90 days), and
the at-risk list is worked within a quarter. A longer window would leave too few
cut-offs in a year or two of history.

Back-test (honest, nothing seen twice): the last window ``(as_of − 90, as_of]`` is the
test; the model is trained on cut-offs whose windows end by its start, and scored by AUC
beside the two simple signals — days since the last purchase (recency) and the purchase
model's expected purchases in the window (ranks inversely) — and the current heuristic.
The learned model is used when it beats the better simple signal by ``MARGIN`` AUC;
otherwise the warning is that simple signal, calibrated to a probability by a
one-feature logistic fit (the same ranking, so the same AUC). The model finally used is
refitted on the newest cut-offs, the test window included.

Features (standardised by the fit): log days since the last purchase; log purchase
cycles missed (days since / usual gap, as in ``risk.py``); log repeat purchases; log age
(days since the first purchase); the log ratio of the mean order value of the last 180
days to the earlier one; P(no purchase in 90 days) and P(alive) from the purchase model;
complaints of the last 30 days; satisfaction (low 1, falling 0.5); log contact lapse.
A feature the business does not record is constant and gets weight 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kehu.value import risk as risk_module
from kehu.value.calc import backtest, btyd
from kehu.value.calc.errors import FitError
from kehu.value.calc.logistic import Logistic, logistic_fit
from kehu.value.calc.metrics import auc
from kehu.value.calc.summary import summarize

HORIZON_DAYS = 90
STEP_DAYS = 14  # between cut-offs
CUTOFFS = 8  # training cut-offs at most
MARGIN = 0.01  # AUC the learned model must add over the best simple signal
MIN_TENURE_DAYS = 30  # a cut-off this soon after the first purchase is skipped
MIN_CUSTOMERS = 100
MIN_CLASS = 10
SAMPLE = 50_000  # customers per cut-off at most
MAX_ROWS = 200_000  # training rows at most (a fixed random draw)

FEATURES = (
    "recency",
    "cycles",
    "frequency",
    "tenure",
    "spend_trend",
    "p_quiet",
    "p_alive",
    "complaints",
    "satisfaction",
    "contact",
)
SIMPLE = ("recency", "expected")
# The reason (risk.py's code) each feature speaks through.
REASON_FEATURES = {
    "rhythm_break": ("recency", "cycles"),
    "quiet_90d": ("p_quiet",),
    "p_alive_low": ("p_alive",),
    "complaints": ("complaints",),
    "csat_low": ("satisfaction",),
    "csat_falling": ("satisfaction",),
    "order_value_falling": ("spend_trend",),
    "contact_lapsed": ("contact",),
}

SideReader = Callable[[np.ndarray, int], Mapping[str, np.ndarray] | None]


def _log1p(values: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(np.nan_to_num(values, nan=0.0), 0.0))


def features(inputs: risk_module.RiskInputs, *, frequency: Any, tenure_days: Any) -> np.ndarray:
    """(n, len(FEATURES)) of the customers of ``inputs``; nothing missing (0 stands in)."""
    churn = risk_module.churn_risk(inputs)
    n = churn.score.shape[0]
    since = np.asarray(inputs.days_since_purchase, dtype=np.float64)
    recent, earlier = (
        risk_module._f(inputs.value_recent, n),
        risk_module._f(inputs.value_earlier, n),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.log(recent / earlier)
        lapse = risk_module._f(inputs.days_since_contact, n) / risk_module._f(
            inputs.usual_contact_gap, n
        )
    trend = np.where(np.isfinite(trend), np.clip(trend, -3.0, 3.0), 0.0)
    columns = {
        "recency": _log1p(since),
        "cycles": _log1p(churn.cycles),
        "frequency": _log1p(np.asarray(frequency, dtype=np.float64)),
        "tenure": _log1p(np.asarray(tenure_days, dtype=np.float64)),
        "spend_trend": trend,
        "p_quiet": np.nan_to_num(risk_module._f(inputs.p_quiet, n, 0.0)),
        "p_alive": np.nan_to_num(risk_module._f(inputs.p_alive, n, 1.0), nan=1.0),
        "complaints": np.minimum(risk_module._f(inputs.complaints_30d, n, 0.0), 3.0),
        "satisfaction": churn.signals["satisfaction"],
        "contact": np.where(np.isfinite(lapse), _log1p(lapse), 0.0),
    }
    return np.column_stack([np.nan_to_num(columns[name]) for name in FEATURES])


def simple_column(name: str, X: np.ndarray, expected: np.ndarray | None) -> np.ndarray | None:
    """The simple signal ``name`` (higher = more likely to stay quiet), None if unknown."""
    if name == "recency":
        return X[:, FEATURES.index("recency")]
    if expected is None:
        return None
    return -np.log1p(np.maximum(expected, 0.0))


@dataclass(frozen=True)
class Snapshot:
    """The customers who had bought by ``cutoff_day``, as they stood on that day."""

    cutoff_day: int
    customer: np.ndarray
    X: np.ndarray
    expected: np.ndarray | None  # the purchase model's E[purchases in the horizon]
    heuristic: np.ndarray  # risk.py's score
    quiet: np.ndarray | None  # label: bought nothing in (cutoff, cutoff + horizon]


def _mean_values(
    index: np.ndarray, day: np.ndarray, value: np.ndarray, n: int, split: int
) -> tuple[np.ndarray, np.ndarray]:
    recent = day > split
    out = []
    for part in (recent, ~recent):
        count = np.bincount(index[part], minlength=n)
        total = np.bincount(index[part], weights=value[part], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(count > 0, total / count, np.nan))
    return out[0], out[1]


def snapshot(
    customer: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    cutoff_day: int,
    horizon_days: int = HORIZON_DAYS,
    purchase_model: str | None = "bgnbd",
    side: SideReader | None = None,
    labelled: bool = True,
) -> Snapshot:
    """Features (and, when ``labelled``, the label) of every customer as of ``cutoff_day``;
    ``purchase_model`` None: none is fitted (P(alive) and P(no purchase) left out)."""
    s = summarize(customer, day, value, as_of_day=cutoff_day, unit_days=1.0)
    upto = day <= cutoff_day
    pos = np.searchsorted(s.customer, customer[upto])
    recent, earlier = _mean_values(
        pos, day[upto], value[upto], len(s), cutoff_day - risk_module.RECENT_VALUE_DAYS
    )
    p_alive = p_quiet = expected = None
    try:
        if purchase_model is None:
            raise FitError("no_data")
        fitted = btyd.fit(purchase_model, s.frequency, s.recency, s.T)
        module = btyd.module_of(fitted.params)
        args = (s.frequency, s.recency, s.T)
        p_alive = np.clip(module.p_alive(fitted.params, *args), 0.0, 1.0)
        p_quiet = np.clip(module.p_no_purchase(fitted.params, 90.0, *args), 0.0, 1.0)
        expected = np.maximum(module.expected_purchases(fitted.params, horizon_days, *args), 0)
        if not all(np.isfinite(a).all() for a in (p_alive, p_quiet, expected)):
            p_alive = p_quiet = expected = None
    except FitError:
        pass
    facts: dict[str, Any] = dict(side(s.customer, cutoff_day) or {}) if side is not None else {}
    with np.errstate(invalid="ignore", divide="ignore"):
        usual_gap = np.where(s.frequency > 0, s.recency / np.maximum(s.frequency, 1), np.nan)
    inputs = risk_module.RiskInputs(
        days_since_purchase=(cutoff_day - s.last_day).astype(np.float64),
        usual_gap=usual_gap,
        p_alive=p_alive,
        p_quiet=p_quiet,
        value_recent=recent,
        value_earlier=earlier,
        **facts,
    )
    X = features(inputs, frequency=s.frequency, tenure_days=s.T)
    quiet = None
    if labelled:
        later = backtest.holdout_purchases(
            customer,
            day,
            members=s.customer,
            cutoff_day=cutoff_day,
            as_of_day=cutoff_day + horizon_days,
        )
        quiet = later == 0
    heuristic = risk_module.churn_risk(inputs).score
    return Snapshot(cutoff_day, s.customer, X, expected, heuristic, quiet)


def _usable(snap: Snapshot, *, need_model: bool) -> bool:
    """Enough customers of both kinds (and the purchase model fitted, when wanted: an
    early cut-off where it cannot be would teach the model a P(alive) of 1)."""
    if snap.quiet is None or snap.customer.shape[0] < MIN_CUSTOMERS:
        return False
    if need_model and snap.expected is None:
        return False
    positives = int(snap.quiet.sum())
    return min(positives, snap.quiet.shape[0] - positives) >= MIN_CLASS


def _auc(score: np.ndarray | None, label: np.ndarray) -> float | None:
    if score is None:
        return None
    try:
        return round(auc(score, label), 4)
    except FitError:
        return None


def _stack(snaps: list[Snapshot]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    X = np.concatenate([s.X for s in snaps])
    y = np.concatenate([s.quiet for s in snaps if s.quiet is not None])
    expected = None
    if all(s.expected is not None for s in snaps):
        expected = np.concatenate([s.expected for s in snaps if s.expected is not None])
    return X, y, expected


def fit_models(snaps: list[Snapshot], *, l2: float) -> tuple[Logistic, dict[str, Logistic]]:
    """The learned model and each simple signal's one-feature calibration."""
    X, y, expected = _stack(snaps)
    if y.shape[0] > MAX_ROWS:
        keep = np.random.default_rng(0).choice(y.shape[0], MAX_ROWS, replace=False)
        X, y = X[keep], y[keep]
        expected = expected[keep] if expected is not None else None
    learned = logistic_fit(X, y, names=FEATURES, l2=l2)
    simple: dict[str, Logistic] = {}
    for name in SIMPLE:
        column = simple_column(name, X, expected)
        if column is not None:
            simple[name] = logistic_fit(column, y, names=(name,), l2=l2)
    return learned, simple


@dataclass(frozen=True)
class WarningFit:
    code: str  # "ok" or why not: "short_history", "no_fit"
    used: str = "heuristic"  # "learned" | "recency" | "expected" | "heuristic"
    horizon_days: int = HORIZON_DAYS
    cutoffs: list[int] = field(default_factory=list)  # day ordinals of the final fit
    test_cutoff: int | None = None
    auc: dict[str, float | None] = field(default_factory=dict)
    train_n: int = 0
    test_n: int = 0
    model: Logistic | None = None
    simple: dict[str, Logistic] = field(default_factory=dict)

    @property
    def best_simple(self) -> str | None:
        scored = [(v, k) for k, v in self.auc.items() if k in SIMPLE and v is not None]
        return max(scored)[1] if scored else None

    @property
    def margin(self) -> float | None:
        """The learned model's AUC over the best simple signal's."""
        best = self.best_simple
        learned = self.auc.get("learned")
        if best is None or learned is None:
            return None
        return round(learned - float(self.auc[best] or 0.0), 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "used": self.used,
            "horizon_days": self.horizon_days,
            "cutoffs": self.cutoffs,
            "test_cutoff": self.test_cutoff,
            "auc": self.auc,
            "train_n": self.train_n,
            "test_n": self.test_n,
            "model": self.model.to_json() if self.model else None,
            "simple": {k: v.to_json() for k, v in self.simple.items()},
        }


def choose(aucs: Mapping[str, float | None], *, margin: float = MARGIN) -> str:
    """ "learned" when it beats the better simple signal by ``margin``, else that one."""
    learned = aucs.get("learned")
    simple = [(v, k) for k, v in aucs.items() if k in SIMPLE and v is not None]
    if not simple:
        return "learned" if learned is not None else "heuristic"
    best_auc, best = max(simple)
    if learned is not None and learned >= best_auc + margin:
        return "learned"
    return best


def _sampled(
    customer: np.ndarray, day: np.ndarray, value: np.ndarray, sample: int, customers: int | None
) -> tuple:
    if customers is None:  # the caller did not say: count them (a sort of every row)
        customers = len(np.unique(customer))
    if customers <= sample:
        return customer, day, value
    chosen = backtest._sampled(customer, sample / customers)
    return customer[chosen], day[chosen], value[chosen]


def warning_fit(
    customer: Any,
    day: Any,
    value: Any,
    *,
    as_of_day: int,
    horizon_days: int = HORIZON_DAYS,
    step_days: int = STEP_DAYS,
    cutoffs: int = CUTOFFS,
    purchase_model: str | None = "bgnbd",
    side: SideReader | None = None,
    sample: int = SAMPLE,
    customers: int | None = None,
    margin: float | None = None,
    l2: float = 1.0,
) -> WarningFit:
    """Back-test and fit the learned warning on order rows up to ``as_of_day``
    (``margin``: the AUC the learned model must add, ``MARGIN`` by default;
    ``customers``: how many distinct customers the rows hold, if the caller knows)."""
    margin = MARGIN if margin is None else margin
    cust = np.asarray(customer, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    vals = np.asarray(value, dtype=np.float64)
    upto = days <= as_of_day
    cust, days, vals = _sampled(cust[upto], days[upto], vals[upto], sample, customers)
    if not len(cust):
        return WarningFit(code="short_history")
    first = int(days.min())
    test_cutoff = as_of_day - horizon_days
    candidates: list[int] = []
    cutoff = test_cutoff
    most = cutoffs + horizon_days // step_days + 1
    while cutoff - first >= MIN_TENURE_DAYS and len(candidates) < most:
        candidates.append(cutoff)
        cutoff -= step_days
    snaps: dict[int, Snapshot] = {}

    def snap(c: int) -> Snapshot:
        if c not in snaps:
            snaps[c] = snapshot(
                cust, days, vals, cutoff_day=c, horizon_days=horizon_days,
                purchase_model=purchase_model, side=side,
            )  # fmt: skip
        return snaps[c]

    need = purchase_model is not None

    def usable(c: int) -> bool:
        return _usable(snap(c), need_model=need)

    if need and candidates and snap(test_cutoff).expected is None:
        # The purchase model cannot be fitted on the history before the test window:
        # learn without P(alive) and P(no purchase) rather than not at all.
        return warning_fit(
            cust, days, vals, as_of_day=as_of_day, horizon_days=horizon_days,
            step_days=step_days, cutoffs=cutoffs, purchase_model=None, side=side,
            sample=len(cust) + 1, margin=margin, l2=l2,
        )  # fmt: skip
    if not candidates or not usable(test_cutoff):
        return WarningFit(code="short_history")
    train = [c for c in candidates if c + horizon_days <= test_cutoff][:cutoffs]
    train_snaps = [snap(c) for c in train if usable(c)]
    test = snap(test_cutoff)
    aucs: dict[str, float | None] = {}
    if train_snaps:
        try:
            learned, simple = fit_models(train_snaps, l2=l2)
        except FitError:
            return WarningFit(code="no_fit")
        label = test.quiet if test.quiet is not None else np.zeros(0, dtype=bool)
        aucs["learned"] = _auc(learned.predict(test.X), label)
        for name in SIMPLE:
            aucs[name] = _auc(simple_column(name, test.X, test.expected), label)
        aucs["heuristic"] = _auc(test.heuristic, label)
    final = [snap(c) for c in candidates[:cutoffs] if usable(c)]
    try:
        model, simple = fit_models(final, l2=l2)
    except FitError:
        return WarningFit(code="no_fit")
    used = choose(aucs, margin=margin) if train_snaps else "heuristic"
    if used in SIMPLE and used not in simple:
        used = "heuristic"
    return WarningFit(
        code="ok" if train_snaps else "short_history",
        used=used,
        horizon_days=horizon_days,
        cutoffs=[s.cutoff_day for s in final],
        test_cutoff=test_cutoff if train_snaps else None,
        auc=aucs,
        train_n=int(sum(s.customer.shape[0] for s in train_snaps)),
        test_n=int(test.customer.shape[0]),
        model=model,
        simple=simple,
    )


# --- the warning as of the run's day ---------------------------------------------------------


def warning_score(
    fit: WarningFit,
    inputs: risk_module.RiskInputs,
    *,
    frequency: Any,
    tenure_days: Any,
    expected: np.ndarray | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(score, contributions) of every customer: the score of the signal ``fit.used``
    (None: keep risk.py's heuristic) and the learned model's per-feature contributions
    (None without a learned model), which weight the reasons."""
    if fit.model is None or fit.code != "ok":  # not back-tested: the rules stay as they are
        return None, None
    X = features(inputs, frequency=frequency, tenure_days=tenure_days)
    contributions = fit.model.contributions(X)
    if fit.used == "learned":
        return fit.model.predict(X), contributions
    calibration = fit.simple.get(fit.used)
    column = simple_column(fit.used, X, expected)
    if calibration is None or column is None:
        return None, contributions
    return calibration.predict(column), contributions


def reasons_weighted(
    reasons: list[list[risk_module.Reason]],
    contributions: np.ndarray,
    *,
    days_since: np.ndarray,
    purchases: np.ndarray,
    warned: np.ndarray,
) -> list[list[risk_module.Reason]]:
    """risk.py's reasons of every customer, kept where the learned model says the signal
    raises that customer's risk, strongest contribution first; the learned model's own
    signals speak too — days since the last purchase (``recency_days``, where the broken
    rhythm does not already say it) and few purchases (``few_purchases``). A warned
    customer always gets a reason: at the least, the days since the last purchase."""
    columns = {
        code: [FEATURES.index(name) for name in names] for code, names in REASON_FEATURES.items()
    }
    recency = [FEATURES.index("recency"), FEATURES.index("cycles")]
    frequency = FEATURES.index("frequency")
    busy = np.flatnonzero(warned | np.array([bool(r) for r in reasons], dtype=bool)).tolist()
    out: list[list[risk_module.Reason]] = [[] for _ in reasons]
    for index in busy:
        row = contributions[index]
        weighted: list[tuple[float, str, dict[str, Any]]] = []
        for code, params in reasons[index]:
            weight = float(row[columns[code]].sum()) if code in columns else 0.0
            if weight > 0:
                weighted.append((weight, code, params))
        days = int(days_since[index])
        quiet = float(row[recency].sum())
        if quiet > 0 and not any(code == "rhythm_break" for _w, code, _p in weighted):
            weighted.append((quiet, "recency_days", {"days": days}))
        if row[frequency] > 0:
            count = int(purchases[index])
            weighted.append((float(row[frequency]), "few_purchases", {"count": count}))
        if not weighted and warned[index]:
            weighted.append((0.0, "recency_days", {"days": days}))
        weighted.sort(key=lambda item: -item[0])
        out[index] = [(code, params) for _weight, code, params in weighted]
    return out
