"""The learned churn warning against the simple signals, on holdouts it never saw.

    python benchmarks/bench_churn_warning.py [--customers 100000] [--fit-customers 1000000]
        [--master PATH] [--seed 7]

1. CDNOW's 39-week holdout (tests/data/cdnow/CDNOW_sample.txt, 2,357 customers;
   calibration to 1997-09-30, holdout 1997-10-01..1998-06-30; label: no purchase in the
   holdout). The learned warning (``kehu.value.churn_model``) is trained only on the
   calibration period: cut-offs every 14 days inside it, each labelled by the following
   90 days, the newest window ending on the calibration's last day. Side by side: its
   AUC, days since the last purchase (recency), BG/NBD's expected purchases in the
   holdout (ranks inversely), and the current heuristic warning (``risk.py``: BG/NBD's
   P(no purchase in 90 days) with the rules, as ``bench_value_fit.py`` measures it).
   The same on CDNOW_master.txt (23,570 customers) when it is found.
2. The benchmark population: the purchase process of ``bench_score.py`` (customers
   arriving over 600 days, Poisson purchases at a gamma-distributed pace until an
   exponential lifetime of mean 500 days ends, two years in all), simulated in numpy
   for ``--customers``, the last 39 weeks the holdout. It records orders only
   (``bulk.py`` writes no complaints, surveys or contacts), so its only churn signal is
   the purchase history itself.
3. Sensitivity (not a choice made on the holdout): the training window 60..180 days.
4. Time to learn the warning as the nightly score does (a 100,000-customer sample of
   ``--fit-customers``) and to score every customer.

Target (issue 21): the learned warning above both recency and expected purchases by at
least 0.01 AUC on CDNOW's holdout and on the benchmark population; the exit status is 1
when it is not met. Writes benchmarks/results/churn_warning.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, ROOT
from kehu.value import churn_model
from kehu.value.calc.metrics import auc

CDNOW = ROOT / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
MASTER = Path("/work/shared/data/cdnow/CDNOW_master.txt")
CAL_END = dt.date(1997, 9, 30).toordinal()
HOLDOUT_END = dt.date(1998, 6, 30).toordinal()
TARGET = 0.01
SIGNALS = ("learned", "recency", "expected", "heuristic")


def cdnow_rows(path: Path = CDNOW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer id, day ordinal, dollar value) of a CDNOW file (sample or master)."""
    raw = np.loadtxt(path, dtype=str, skiprows=1 if path.name.endswith("master.txt") else 0)
    date, amount = raw[:, -3], raw[:, -1]
    days = [dt.date(int(s[:4]), int(s[4:6]), int(s[6:])).toordinal() for s in date]
    return raw[:, 0].astype(np.int64), np.array(days, dtype=np.int64), amount.astype(float)


def holdout_aucs(
    customer: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    cal_end: int,
    holdout_end: int,
    horizon_days: int = churn_model.HORIZON_DAYS,
) -> dict[str, Any]:
    """Learn on the rows up to ``cal_end`` only; score the holdout (cal_end, holdout_end]."""
    started = time.perf_counter()
    fit = churn_model.warning_fit(
        customer[day <= cal_end],
        day[day <= cal_end],
        value[day <= cal_end],
        as_of_day=cal_end,
        horizon_days=horizon_days,
    )
    learn_s = time.perf_counter() - started
    if fit.model is None:
        return {"code": fit.code}
    test = churn_model.snapshot(
        customer, day, value, cutoff_day=cal_end, horizon_days=holdout_end - cal_end
    )
    label = test.quiet
    assert label is not None and test.expected is not None
    scores = {
        "learned": fit.model.predict(test.X),
        "recency": test.X[:, churn_model.FEATURES.index("recency")],
        "expected": -test.expected,
        "heuristic": test.heuristic,
    }
    aucs = {name: round(auc(score, label), 4) for name, score in scores.items()}
    best = max(aucs["recency"], aucs["expected"])
    return {
        "code": fit.code,
        "customers": int(label.shape[0]),
        "not_buying_again": int(label.sum()),
        "auc": aucs,
        "margin_over_recency": round(aucs["learned"] - aucs["recency"], 4),
        "margin_over_expected": round(aucs["learned"] - aucs["expected"], 4),
        "meets_target": bool(aucs["learned"] >= best + TARGET),
        "inner_backtest": {"auc": fit.auc, "used": fit.used, "test_n": fit.test_n},
        "weights": {
            n: round(float(c), 3) for n, c in zip(fit.model.names, fit.model.coef, strict=True)
        },
        "cutoffs": [dt.date.fromordinal(c).isoformat() for c in fit.cutoffs],
        "learn_s": round(learn_s, 2),
    }


def cdnow_holdout(path: Path = CDNOW, horizon_days: int = churn_model.HORIZON_DAYS) -> dict:
    customer, day, value = cdnow_rows(path)
    return holdout_aucs(
        customer, day, value, cal_end=CAL_END, holdout_end=HOLDOUT_END, horizon_days=horizon_days
    )


def bench_population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bench_score.py's purchase process for ``n`` customers, in numpy (day 0..730)."""
    rng = np.random.default_rng(seed)
    mean_gap = 730 / 10.0
    arrival = rng.random(n) * 600
    gap = mean_gap * rng.gamma(2.0, 0.35, n)
    end = arrival + rng.exponential(500, n)
    spend = rng.integers(500, 50_000, n).astype(float)
    customers, days, values = [], [], []
    at = arrival.copy()
    alive = np.arange(n)
    while alive.shape[0]:
        keep = (at[alive] <= 730) & (at[alive] <= end[alive])
        alive = alive[keep]
        customers.append(alive)
        days.append(np.floor(at[alive]).astype(np.int64))
        values.append(np.maximum(100, rng.normal(spend[alive], spend[alive] / 4)) / 100)
        at[alive] += rng.exponential(gap[alive])
    return np.concatenate(customers), np.concatenate(days) + 1000, np.concatenate(values)


def fit_timing(n: int, seed: int) -> dict[str, Any]:
    """Learn as the nightly score does (a sample of 100,000) and score all ``n``."""
    customer, day, value = bench_population(n, seed)
    as_of = 1730
    started = time.perf_counter()
    fit = churn_model.warning_fit(customer, day, value, as_of_day=as_of, customers=n)
    learn_s = time.perf_counter() - started
    snap = churn_model.snapshot(customer, day, value, cutoff_day=as_of, labelled=False)
    started = time.perf_counter()
    assert fit.model is not None
    fit.model.predict(snap.X)
    fit.model.contributions(snap.X)
    score_s = time.perf_counter() - started
    return {
        "customers": int(snap.customer.shape[0]),
        "orders": int(customer.shape[0]),
        "learn_s": round(learn_s, 2),
        "score_s": round(score_s, 3),
        "used": fit.used,
        "backtest_auc": fit.auc,
    }


def row(label: str, result: dict[str, Any]) -> str:
    if "auc" not in result:
        return f"{label:<34} not learned ({result.get('code')})"
    a = result["auc"]
    cells = " ".join(f"{a[name]:>9.4f}" for name in SIGNALS)
    return (
        f"{label:<34} {cells} {result['margin_over_recency']:>+8.4f}"
        f" {result['margin_over_expected']:>+8.4f}  {'yes' if result['meets_target'] else 'no'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--fit-customers", type=int, default=1_000_000)
    parser.add_argument("--master", type=Path, default=MASTER)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, Any] = {"cdnow_sample": cdnow_holdout()}
    if args.master.exists():
        results["cdnow_master"] = cdnow_holdout(args.master)
    customer, day, value = bench_population(args.customers, args.seed)
    results["bench_population"] = holdout_aucs(
        customer, day, value, cal_end=1730 - 273, holdout_end=1730
    )
    results["sensitivity_cdnow_sample"] = {
        str(h): cdnow_holdout(horizon_days=h) for h in (60, 90, 120, 150, 180)
    }
    results["timing"] = fit_timing(args.fit_customers, args.seed)

    print("\nChurn warning: AUC of 'no purchase in the holdout' (39 weeks), learned before it")
    head = " ".join(f"{name:>9}" for name in SIGNALS)
    print(f"{'data':<34} {head} {'vs rec':>8} {'vs exp':>8}  +{TARGET} over both")
    print(row("CDNOW sample (2,357)", results["cdnow_sample"]))
    if "cdnow_master" in results:
        print(row("CDNOW master (23,570)", results["cdnow_master"]))
    print(row(f"bench population ({args.customers:,})", results["bench_population"]))
    print("\nsensitivity, CDNOW sample: the training window (days; the product uses 90)")
    for h, result in results["sensitivity_cdnow_sample"].items():
        print(row(f"  window {h}", result))
    inner = results["cdnow_sample"].get("inner_backtest", {})
    print(
        f"\nCDNOW sample, the product's own back-test inside the calibration: {inner.get('auc')}"
        f" -> the warning would use: {inner.get('used')}"
    )
    t = results["timing"]
    print(
        f"learning at {t['customers']:,} customers / {t['orders']:,} orders (sample of"
        f" {churn_model.SAMPLE:,}): {t['learn_s']:.1f} s; scoring all: {t['score_s']:.2f} s;"
        f" uses {t['used']}, back-test {t['backtest_auc']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "churn_warning.json").write_text(json.dumps(results, indent=2, default=str))
    met = all(results[key].get("meets_target") for key in ("cdnow_sample", "bench_population"))
    print(f"target (+{TARGET} AUC over both, CDNOW sample and bench population): {met}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
