"""BG/NBD + Gamma-Gamma fit and scoring: Kehu against lifetimes, and the CDNOW holdout.

    python benchmarks/bench_value_fit.py [--sizes cdnow,100000,1000000]
        [--no-lifetimes-above N] [--seed 1]

For each size — the CDNOW sample (2,357 customers, tests/data/cdnow) and customers
simulated from the CDNOW parameters (T drawn from CDNOW's ages) — fits BG/NBD and
Gamma-Gamma and scores every customer (P(alive), expected purchases in 90 days, 12-month
CLV at 1 %/month) with Kehu (``kehu.value.calc``) and with lifetimes 0.11.3
(BetaGeoFitter / GammaGammaFitter, penalizer_coef=0, default tolerance) on the same
arrays in the same run. Time is in days (the product's unit; alpha per day). Reports
times, the speed-up, the largest relative parameter and score differences, and whether
lifetimes stopped early (its log-likelihood below Kehu's, or a gradient left at its
optimum). Targets (issue 8): >= 20x faster at 1M customers, parameters within 0.1 %.

MBG/NBD (issue 18) the same way: Kehu's ``mbgnbd.fit`` against lifetimes'
ModifiedBetaGeoFitter on the same arrays, parameters and time.

Then the 39-week holdout on CDNOW_sample.txt (calibration to 1997-09-30, holdout
1997-10-01..1998-06-30): the AUC of "will not buy again in the holdout" for the churn
score 1 - P(alive), for minus the expected holdout purchases, for the BG/NBD probability
of no purchase in the 39 weeks (bgnbd.p_no_purchase), and for the recency-only baseline
(days since the last purchase), plus predicted against actual holdout purchases; and the
product's back-test (``calc.backtest``) on that split: BG/NBD against MBG/NBD by the RMSE
of each customer's holdout purchases, and which one the score run would use.
lifetimes and pandas are imported here only (the `bench` dependency group).
Writes benchmarks/results/value_fit.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, ROOT
from kehu.value import risk
from kehu.value.calc import backtest, bgnbd, clv, gamma_gamma, mbgnbd, metrics, simulate, summary
from kehu.value.calc.errors import FitError

CDNOW = ROOT / "tests" / "data" / "cdnow"
CAL_END = dt.date(1997, 9, 30).toordinal()
HOLDOUT_END = dt.date(1998, 6, 30).toordinal()
BG_WEEKS = bgnbd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
BG_DAYS = bgnbd.BGNBDParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
GG = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, v=15.44)
HORIZON_DAYS = 90
TARGET_SPEEDUP = 20
TARGET_PARAM_DIFF = 0.001

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sample customer id, day ordinal, dollar value) of every CDNOW_sample.txt row."""
    raw = np.loadtxt(CDNOW / "CDNOW_sample.txt", dtype=str)
    days = [dt.date(int(s[:4]), int(s[4:6]), int(s[6:])).toordinal() for s in raw[:, 2]]
    return raw[:, 1].astype(np.int64), np.array(days, dtype=np.int64), raw[:, 4].astype(float)


def cdnow_days() -> tuple[Arrays, np.ndarray]:
    """(x, t_x, T, zbar) of the CDNOW calibration period in days, and the GG x."""
    s = summary.summarize(*transactions(), as_of_day=CAL_END, unit_days=1)
    arrays = (s.frequency.astype(float), s.recency, s.T, s.monetary)
    return arrays, s.monetary_n.astype(float)


def simulated(n: int, seed: int) -> Arrays:
    """n customers from the CDNOW parameters (per day), T drawn from CDNOW's ages."""
    (_, _, ages, _), _ = cdnow_days()
    T = np.random.default_rng(seed).choice(ages, n)
    return simulate.simulate(BG_DAYS, GG, n, T=T, seed=seed + 1)


def run_kehu(data: Arrays, spend_n: np.ndarray) -> dict[str, Any]:
    """Fit both models and score every customer with kehu.value.calc."""
    x, tx, T, m = data
    started = time.perf_counter()
    bg = bgnbd.fit(x, tx, T)
    gg = gamma_gamma.fit(spend_n, m)
    fitted = time.perf_counter()
    scores = {
        "p_alive": bgnbd.p_alive(bg.params, x, tx, T),
        "expected_90d": bgnbd.expected_purchases(bg.params, HORIZON_DAYS, x, tx, T),
        "clv_12m": clv.clv(bg.params, gg.params, x, tx, T, m, monetary_n=spend_n),
    }
    done = time.perf_counter()
    return {
        "fit_s": fitted - started,
        "score_s": done - fitted,
        "total_s": done - started,
        "bg": bg.params,
        "gg": gg.params,
        "repeat": bg.repeat,
        "iterations": {"bgnbd": bg.iterations, "gamma_gamma": gg.iterations},
        "scores": scores,
    }


def run_lifetimes(data: Arrays, spend_n: np.ndarray) -> dict[str, Any]:
    """The same with lifetimes (raw rows, no weights, as a typical user calls it)."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x, tx, T, m = (pd.Series(a) for a in data)
    spend = pd.Series(spend_n)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf = BetaGeoFitter(penalizer_coef=0.0).fit(x, tx, T)
        paid = (spend > 0) & (m > 0)
        ggf = GammaGammaFitter(penalizer_coef=0.0).fit(spend[paid], m[paid])
        fitted = time.perf_counter()
        scores = {
            "p_alive": np.asarray(bgf.conditional_probability_alive(x, tx, T)),
            "expected_90d": np.asarray(
                bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_DAYS, x, tx, T)
            ),
            "clv_12m": np.asarray(
                ggf.customer_lifetime_value(bgf, x, tx, T, m, time=12, discount_rate=0.01, freq="D")
            ),
        }
    done = time.perf_counter()
    p, g = bgf.params_, ggf.params_
    return {
        "fit_s": fitted - started,
        "score_s": done - fitted,
        "total_s": done - started,
        "bg": bgnbd.BGNBDParams(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"]),
        "gg": gamma_gamma.GammaGammaParams(p=g["p"], q=g["q"], v=g["v"]),
        "scores": scores,
    }


def mbg_side_by_side(data: Arrays, with_lifetimes: bool) -> dict[str, Any]:
    """MBG/NBD fitted by Kehu and (unless skipped) by lifetimes on the same arrays."""
    x, tx, T, _m = data
    started = time.perf_counter()
    ours = mbgnbd.fit(x, tx, T)
    result: dict[str, Any] = {"kehu_s": time.perf_counter() - started, "lifetimes_s": None}
    result["params"] = vars(ours.params)
    if not with_lifetimes:
        return result
    import pandas as pd
    from lifetimes import ModifiedBetaGeoFitter

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = ModifiedBetaGeoFitter(penalizer_coef=0.0).fit(
            pd.Series(x), pd.Series(tx), pd.Series(T)
        )
    result["lifetimes_s"] = time.perf_counter() - started
    theirs = {k: float(fitter.params_[k]) for k in ("r", "alpha", "a", "b")}
    result["max_param_rel_diff"] = max(
        abs(result["params"][k] - theirs[k]) / abs(result["params"][k]) for k in theirs
    )
    ll = {
        "kehu": ours.log_likelihood,
        "lifetimes": mbgnbd.log_likelihood(mbgnbd.MBGNBDParams(**theirs), x, tx, T),
    }
    result["lifetimes_behind_per_customer"] = (ll["kehu"] - ll["lifetimes"]) / len(x)
    return result


def params_dict(bg: bgnbd.BGNBDParams, gg: gamma_gamma.GammaGammaParams) -> dict[str, float]:
    return {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "v": gg.v}


def max_rel(left: np.ndarray, right: np.ndarray) -> float:
    """Largest |left - right| relative to |right| (absolute below 1e-9)."""
    scale = np.maximum(np.abs(right), 1e-9)
    return float(np.max(np.abs(left - right) / scale)) if len(left) else 0.0


def compare(data: Arrays, spend_n: np.ndarray, ours: dict, theirs: dict) -> dict[str, Any]:
    """Parameter and score differences, and who sits higher on the likelihood."""
    x, tx, T, m = data
    mine, other = params_dict(ours["bg"], ours["gg"]), params_dict(theirs["bg"], theirs["gg"])
    param_diff = {k: abs(mine[k] - other[k]) / abs(mine[k]) for k in mine}
    ll_bg = {
        name: bgnbd.log_likelihood(run["bg"], x, tx, T)
        for name, run in (("kehu", ours), ("lifetimes", theirs))
    }
    ll_gg = {
        name: gamma_gamma.log_likelihood(run["gg"], spend_n, m)
        for name, run in (("kehu", ours), ("lifetimes", theirs))
    }
    n = len(x)
    behind = max(ll_bg["kehu"] - ll_bg["lifetimes"], ll_gg["kehu"] - ll_gg["lifetimes"]) / n
    return {
        "max_param_rel_diff": max(param_diff.values()),
        "param_rel_diff": param_diff,
        "score_max_rel_diff": {
            k: max_rel(ours["scores"][k], theirs["scores"][k]) for k in ours["scores"]
        },
        "loglik": {"bgnbd": ll_bg, "gamma_gamma": ll_gg},
        "lifetimes_behind_per_customer": behind,
        "lifetimes_stopped_early": behind > 1e-9,
    }


def one_size(label: str, args: argparse.Namespace) -> dict[str, Any]:
    """Kehu (and lifetimes unless above the limit) on one data set."""
    if label == "cdnow":
        data, spend_n = cdnow_days()
    else:
        data = simulated(int(label), args.seed)
        spend_n = data[0]
    n = len(data[0])
    ours = run_kehu(data, spend_n)
    result: dict[str, Any] = {
        "data": label,
        "customers": n,
        "repeat_customers": ours["repeat"],
        "kehu": {k: ours[k] for k in ("fit_s", "score_s", "total_s", "iterations")}
        | {"params": params_dict(ours["bg"], ours["gg"])},
        "lifetimes": None,
    }
    limit = args.no_lifetimes_above
    result["mbgnbd"] = mbg_side_by_side(data, limit is None or n <= limit)
    if limit is None or n <= limit:
        theirs = run_lifetimes(data, spend_n)
        result["lifetimes"] = {k: theirs[k] for k in ("fit_s", "score_s", "total_s")} | {
            "params": params_dict(theirs["bg"], theirs["gg"])
        }
        result["speedup"] = theirs["total_s"] / ours["total_s"]
        result |= compare(data, spend_n, ours, theirs)
    return result


def holdout() -> dict[str, Any]:
    """The 39-week CDNOW holdout: who will not buy again, scored three ways."""
    customer, day, value = transactions()
    cal = summary.summarize(customer, day, value, as_of_day=CAL_END, unit_days=1)
    later = (day > CAL_END) & (day <= HOLDOUT_END)
    buyers = np.unique(customer[later])
    bought = np.isin(cal.customer, buyers)
    pairs = np.unique(np.stack([customer[later], day[later]]), axis=1)
    actual = float(pairs.shape[1])  # holdout purchases = distinct customer-days
    bg = bgnbd.fit(cal.frequency, cal.recency, cal.T)
    span = HOLDOUT_END - CAL_END
    expected = bgnbd.expected_purchases(bg.params, span, cal.frequency, cal.recency, cal.T)
    churn = 1.0 - bgnbd.p_alive(bg.params, cal.frequency, cal.recency, cal.T)
    idle = bgnbd.p_no_purchase(bg.params, span, cal.frequency, cal.recency, cal.T)
    recency_days = (CAL_END - cal.last_day).astype(float)
    label = ~bought
    # The product's churn warning (kehu.value.risk) on what CDNOW has: orders only.
    with np.errstate(divide="ignore", invalid="ignore"):
        usual_gap = np.where(cal.frequency > 0, cal.recency / cal.frequency, np.nan)
    warning = risk.churn_risk(
        risk.RiskInputs(
            days_since_purchase=recency_days,
            usual_gap=usual_gap,
            p_alive=bgnbd.p_alive(bg.params, cal.frequency, cal.recency, cal.T),
            p_quiet=bgnbd.p_no_purchase(bg.params, 90, cal.frequency, cal.recency, cal.T),
        )
    ).score
    test = backtest.compare(customer, day, value, as_of_day=HOLDOUT_END, holdout_days=span)
    return {
        "backtest": test.as_dict(),
        "customers": len(cal),
        "not_buying_again": int(label.sum()),
        "auc_kehu_churn_warning": metrics.auc(warning, label),
        "auc_churn_1_minus_p_alive": metrics.auc(churn, label),
        "auc_minus_expected_purchases": metrics.auc(-expected, label),
        "auc_p_no_purchase": metrics.auc(idle, label),
        "auc_recency_baseline": metrics.auc(recency_days, label),
        "holdout_purchases_actual": actual,
        "holdout_purchases_predicted": float(expected.sum()),
        "params_weeks": {
            "r": bg.params.r,
            "alpha": bg.params.alpha / 7,
            "a": bg.params.a,
            "b": bg.params.b,
        },
    }


def print_table(rows: list[dict[str, Any]], hold: dict[str, Any]) -> None:
    print("\nBG/NBD + Gamma-Gamma fit and scoring (P(alive), E[90 d], 12-month CLV), days")
    print(
        f"{'data':>10} {'customers':>10} {'repeat':>8} {'kehu s':>8} {'lifetimes s':>12}"
        f" {'speed-up':>9} {'param diff':>11} {'score diff':>11}  lifetimes"
    )
    for row in rows:
        lt = row["lifetimes"]
        if lt is None:
            tail = f"{'-':>12} {'-':>9} {'-':>11} {'-':>11}  skipped"
        else:
            early = "stopped early" if row["lifetimes_stopped_early"] else "converged"
            tail = (
                f"{lt['total_s']:12.2f} {row['speedup']:8.1f}x {row['max_param_rel_diff']:11.2e}"
                f" {max(row['score_max_rel_diff'].values()):11.2e}  {early}"
            )
        print(
            f"{row['data']:>10} {row['customers']:>10,} {row['repeat_customers']:>8,}"
            f" {row['kehu']['total_s']:8.2f} {tail}"
        )
    print(
        f"targets: >= {TARGET_SPEEDUP}x at 1,000,000 customers,"
        f" parameters within {TARGET_PARAM_DIFF:.1%}"
    )
    print("\nMBG/NBD fit (days)")
    print(f"{'data':>10} {'kehu s':>8} {'lifetimes s':>12} {'speed-up':>9} {'param diff':>11}")
    for row in rows:
        mbg = row["mbgnbd"]
        if mbg["lifetimes_s"] is None:
            tail = f"{'-':>12} {'-':>9} {'-':>11}"
        else:
            tail = (
                f"{mbg['lifetimes_s']:12.2f} {mbg['lifetimes_s'] / mbg['kehu_s']:8.1f}x"
                f" {mbg['max_param_rel_diff']:11.2e}"
            )
        print(f"{row['data']:>10} {mbg['kehu_s']:8.2f} {tail}")
    print(
        f"\nCDNOW 39-week holdout ({hold['customers']:,} customers,"
        f" {hold['not_buying_again']:,} did not buy again)"
    )
    print(f"  AUC Kehu churn warning (risk.py)  {hold['auc_kehu_churn_warning']:.3f}")
    print(f"  AUC churn score 1 - P(alive)      {hold['auc_churn_1_minus_p_alive']:.3f}")
    print(f"  AUC minus expected purchases      {hold['auc_minus_expected_purchases']:.3f}")
    print(f"  AUC P(no purchase in 39 weeks)    {hold['auc_p_no_purchase']:.3f}")
    print(f"  AUC recency baseline (days since) {hold['auc_recency_baseline']:.3f}")
    print(
        f"  holdout purchases: predicted {hold['holdout_purchases_predicted']:.0f},"
        f" actual {hold['holdout_purchases_actual']:.0f}"
    )
    test = hold["backtest"]
    print(f"  back-test on this split ({test['actual']} purchases), the model used: {test['best']}")
    for name, one in test["scores"].items():
        print(
            f"    {name:>7}: RMSE {one['rmse']:.4f}, AUC P(no purchase) {one['auc']:.3f},"
            f" predicted {one['predicted']:.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="cdnow,100000,1000000", help="comma-separated")
    parser.add_argument(
        "--no-lifetimes-above", type=int, default=None, help="skip lifetimes above N customers"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for label in (s.strip() for s in args.sizes.split(",") if s.strip()):
        try:
            rows.append(one_size(label, args))
        except FitError as err:
            print(f"{label}: Kehu fit failed: {err}")
            sys.exit(1)
        print(f"{label}: done", flush=True)
    hold = holdout()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "value_fit.json").write_text(json.dumps({"sizes": rows, "holdout": hold}, indent=2))
    print_table(rows, hold)
    ok = all(
        row["lifetimes"] is None
        or (
            row["max_param_rel_diff"] <= TARGET_PARAM_DIFF
            and (row["customers"] < 1_000_000 or row["speedup"] >= TARGET_SPEEDUP)
        )
        for row in rows
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
