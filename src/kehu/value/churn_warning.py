"""The learned churn warning in the nightly score (``services.score_run``): learn it
from the order history and the side facts as of earlier days (``churn_model``), store
the fit on the run (``ChurnWarningFit``), and read it for the model page.

The side facts (complaints, CSAT, contacts) are read once (``scoring.side_rows``) and
computed for each cut-off in numpy; the orders are those the run already read.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.value import churn_model, scoring
from kehu.value.calc.errors import FitError
from kehu.value.models import ChurnWarningFit, ScoreRun

logger = logging.getLogger(__name__)
FEATURE_LABELS = {
    "recency": gettext_noop("距上次购买天数"),
    "cycles": gettext_noop("错过的购买周期"),
    "frequency": gettext_noop("复购次数"),
    "tenure": gettext_noop("成为客户的天数"),
    "spend_trend": gettext_noop("近 180 天平均订单金额的变化"),
    "p_quiet": gettext_noop("未来 90 天不下单的概率"),
    "p_alive": gettext_noop("活跃概率"),
    "complaints": gettext_noop("近 30 天投诉"),
    "satisfaction": gettext_noop("满意度偏低或下降"),
    "contact": gettext_noop("未联系时长（相对平时）"),
}
SIGNAL_LABELS = {
    "learned": gettext_noop("学习模型"),
    "recency": gettext_noop("距上次购买天数"),
    "expected": gettext_noop("预计购买次数（BG/NBD）"),
    "heuristic": gettext_noop("规则加权（未学习）"),
}


def warning_learn(
    customer: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    as_of: dt.date,
    purchase_model: str | None,
    side: scoring.SideRows,
    customers: int | None = None,
) -> churn_model.WarningFit:
    """Back-test and fit the warning on the run's purchases (never fails the run: an
    error leaves the heuristic warning in place, ``code`` "error")."""

    def side_at(customers: np.ndarray, cutoff_day: int) -> dict[str, np.ndarray]:
        return dict(vars(side.facts(customers, as_of=dt.date.fromordinal(cutoff_day))))

    try:
        return churn_model.warning_fit(
            customer,
            day,
            value,
            as_of_day=as_of.toordinal(),
            purchase_model=purchase_model,
            side=side_at,
            customers=customers,
        )
    except (FitError, ValueError, FloatingPointError) as error:
        logger.warning("churn warning not learned: %s", error)
        return churn_model.WarningFit(code="error")


def warning_store(run: ScoreRun, fit: churn_model.WarningFit) -> ChurnWarningFit:
    """The run's row (replaced when the run is scored again)."""
    ChurnWarningFit.objects.filter(run=run).delete()
    return ChurnWarningFit.objects.create(
        run=run,
        as_of=run.as_of,
        fitted_at=timezone.now(),
        code=fit.code,
        used=fit.used,
        horizon_days=fit.horizon_days,
        auc_learned=fit.auc.get("learned"),
        auc_recency=fit.auc.get("recency"),
        auc_expected=fit.auc.get("expected"),
        auc_heuristic=fit.auc.get("heuristic"),
        train_n=fit.train_n,
        test_n=fit.test_n,
        model=fit.to_json(),
    )


def warning_of(run: ScoreRun | None) -> dict[str, Any] | None:
    """The model page's view of a run's warning: the AUCs side by side, the one used,
    the margin over the best simple signal and the learned weights; None without one."""
    if run is None:
        return None
    row = ChurnWarningFit.objects.filter(run=run).first()
    if row is None:
        return None
    aucs = {
        "learned": row.auc_learned,
        "recency": row.auc_recency,
        "expected": row.auc_expected,
        "heuristic": row.auc_heuristic,
    }
    simple = [(v, k) for k, v in aucs.items() if k in churn_model.SIMPLE and v is not None]
    best = max(simple)[1] if simple else None
    margin = None
    if best is not None and row.auc_learned is not None:
        margin = round(row.auc_learned - float(aucs[best] or 0.0), 4)
    data = row.model or {}
    model = data.get("model") or {}
    weights = sorted(
        zip(model.get("names", []), model.get("coef", []), strict=False),
        key=lambda pair: -abs(pair[1]),
    )
    test = data.get("test_cutoff")
    return {
        "row": row,
        "signals": [
            {"name": name, "label": _(label), "auc": aucs[name], "used": row.used == name}
            for name, label in SIGNAL_LABELS.items()
        ],
        "best_simple": _(SIGNAL_LABELS[best]) if best else None,
        "margin": margin,
        "needed": churn_model.MARGIN,
        "learned_used": row.used == "learned",
        "used_label": _(SIGNAL_LABELS.get(row.used, row.used)),
        "test_from": dt.date.fromordinal(int(test)) if test else None,
        "cutoffs": len(data.get("cutoffs") or []),
        "weights": [
            {"label": _(FEATURE_LABELS.get(name, name)), "coef": coef}
            for name, coef in weights
            if coef != 0
        ],
    }
