"""Target fit (目标客户定位, issue 20 part 5): does the score find the customers who will
become the best ones? A held-out AUC, beside two baselines, in one run.

    python benchmarks/bench_target_fit.py [--db sqlite|postgres] [--customers 20000]
                                          [--dependence 0.5] [--seed 11]

The bench population (``benchmarks/bulk.py``, unchanged: kind, industry of companies,
province and city) is given the other profile attributes here — company size, gender,
birthday, income band, source channel — drawn at random, independently of everything.
Orders (``orders_load.orders_write``: cost 60 % of the total, one in ten unknown) are
written as ``bench_score`` writes them — each customer buys at its own pace until a
lifetime of its own ends — over three years, each customer's first order between 3 and 1
years ago. The population is scored once as generated and once per planted strength,
with the same customers and the same random draws:

1. **as generated**: spending does not depend on the profile at all (as in every other
   benchmark), so no score can rank better than chance: the honest AUC is about 0.5;
2. **planted** (one run per ``--dependence`` strength): each customer's order values
   are multiplied by ``exp(d * z)`` (mean 1) where ``z`` adds up a few mild profile
   effects (``EFFECTS`` below: companies, three industries, high incomes, large
   companies, referrals, age 35–54) and ``d = --dependence``. This is the benchmark's
   own generator option; bulk.py and the other benchmarks' populations are not
   touched, so their figures do not move.

For each: ``score_run(as_of=cut-off)`` — the product's nightly run, two years ago — fits
the target fit on the customers acquired (first order) before the cut-off, the top 20 %
by profit against the rest, and stores the table. The customers acquired in the year after
the cut-off are held out: their label is "among the top 20 % of their cohort by gross
profit in their first 12 months", their score the stored table applied to their profile
(``calc.target_fit.score``, what ``target_fit_score`` does for a lead). Printed: the AUC of
the target fit, of the stored 0–100 score, of the baseline that always answers the most
common profile (one score for everyone: 0.5 by construction), of the single best
attribute (chosen by its AUC on the fitted customers, then measured on the held-out ones)
and, as an upper bound for one attribute, the best single attribute on the held-out
customers themselves ("oracle").
Writes benchmarks/results/target_fit_<db>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database
from benchmarks.orders_load import orders_write, population_load

YEAR = 365
# (attribute, values, effect on z) of the planted dependence.
EFFECTS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("kind", ("company",), 0.5),
    ("industry", ("餐饮", "医疗健康", "软件与信息服务"), 0.8),
    ("income_band", ("upper_middle", "high"), 0.6),
    ("company_size", ("large", "enterprise"), 0.5),
    ("source_channel", ("referral",), 0.5),
    ("age_band", ("35_44", "45_54"), 0.3),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument(
        "--dependence", default="0.5,1", help="comma-separated strengths d of the planted runs"
    )
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with bench_database(args.db):
        ok = run(args)
    sys.exit(0 if ok else 1)


def profiles_fill(customer_ids: list[int], seed: int) -> None:
    """Company size (companies), gender, birthday and income band (people) and a source
    channel (everyone), at random: bulk.py leaves them empty."""
    from django.db import connection, transaction

    from kehu.customers.models import CompanySize, IncomeBand, SourceChannel

    rng = random.Random(seed)
    sizes = [c for c in CompanySize.values if c]
    incomes = [c for c in IncomeBand.values if c]
    channels = [c for c in SourceChannel.values if c]
    today = dt.date.today()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, kind FROM customers_customer ORDER BY id")
        kinds = dict(cursor.fetchall())
    rows = []
    for pk in customer_ids:
        company = kinds[pk] == "company"
        birthday = None
        if not company and rng.random() < 0.7:
            birthday = today - dt.timedelta(days=rng.randint(20 * YEAR, 70 * YEAR))
        rows.append(
            (
                rng.choice(sizes) if company and rng.random() < 0.8 else "",
                "" if company else rng.choice(("male", "female", "")),
                birthday,
                "" if company or rng.random() < 0.3 else rng.choice(incomes),
                rng.choice(channels),
                pk,
            )
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE customers_customer SET company_size = %s, gender = %s, birthday = %s, "
            "income_band = %s, source_channel = %s WHERE id = %s",
            rows,
        )


def planted_z(as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, z) from the profiles as the product reads them."""
    from kehu.value.target_fit import profiles_read

    profiles = profiles_read(as_of=as_of)
    z = np.zeros(profiles.customer.shape[0])
    effect = np.array(
        [
            next((e for a, values, e in EFFECTS if a == attr and value in values), 0.0)
            for attr, value in profiles.vocabulary
        ]
    )
    np.add.at(z, profiles.rows, effect[profiles.features])
    return profiles.customer, z


def load_orders(
    customer_ids: list[int], multiplier: dict[int, float], now: dt.datetime, seed: int
) -> int:
    """bench_score's buying rhythm, first orders between 3 and 1 years before ``now``,
    order values times the customer's ``multiplier``."""
    rng = random.Random(seed)
    start = now - dt.timedelta(days=3 * YEAR)
    mean_gap = 73.0  # about 10 orders in two years while alive

    def purchases() -> Iterator[tuple[int, dt.datetime, int]]:
        for customer_id in customer_ids:
            at = start + dt.timedelta(days=rng.random() * 2 * YEAR)
            gap = mean_gap * rng.gammavariate(2.0, 0.35)
            end = at + dt.timedelta(days=rng.expovariate(1 / 500))
            spend = rng.randint(500, 50_000) * multiplier[customer_id]
            while at <= now and at <= end:
                yield customer_id, at, max(100, int(rng.gauss(spend, spend / 4)))
                at += dt.timedelta(days=rng.expovariate(1 / gap))

    return orders_write(purchases(), seed=seed)


def _clear() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("value_targetfit", "value_customervalue", "value_scorerun", "orders_order"):
            cursor.execute(f"DELETE FROM {table}")


def first_year(cutoff_day: int) -> dict[str, Any]:
    """Per customer: the local day of the first order and the gross profit of the first
    365 days (cost unknown: the known orders' margin)."""
    from kehu.value import scoring

    rows = scoring.purchases_read()
    day = scoring.local_days(rows.epoch)
    customers, index = np.unique(rows.customer, return_inverse=True)
    first = np.full(customers.shape[0], np.iinfo(np.int64).max)
    np.minimum.at(first, index, day)
    known = ~rows.cost_unknown
    margin = float((rows.net_cents - rows.cost_cents)[known].sum()) / max(
        float(rows.net_cents[known].sum()), 1.0
    )
    profit = np.where(known, rows.net_cents - rows.cost_cents, rows.net_cents * margin) / 100.0
    in_year = day < first[index] + YEAR
    year_profit = np.bincount(index[in_year], weights=profit[in_year], minlength=len(customers))
    return {"customer": customers, "first": first, "profit": year_profit}


def evaluate(name: str, args: argparse.Namespace, cutoff: dt.date) -> dict[str, Any]:
    from django.db import connection

    from kehu.value.calc import metrics
    from kehu.value.calc import target_fit as calc
    from kehu.value.calc.errors import FitError
    from kehu.value.models import CustomerValue, TargetFit
    from kehu.value.services import score_run
    from kehu.value.target_fit import ATTRIBUTES, MULTI, profiles_read

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    run = score_run(as_of=cutoff)
    score_s = time.perf_counter() - started
    table = calc.FitTable.from_json(run.target_fit)
    assert table is not None, run.detail.get("target_fit")

    facts = first_year(cutoff.toordinal())
    held = (facts["first"] > cutoff.toordinal()) & (facts["first"] <= cutoff.toordinal() + YEAR)
    held_ids = facts["customer"][held]
    held_profit = facts["profit"][held]
    k = max(1, int(np.ceil(0.2 * held_ids.shape[0])))
    threshold = np.partition(held_profit, held_profit.shape[0] - k)[held_profit.shape[0] - k]
    label = held_profit >= threshold

    profiles = profiles_read(as_of=cutoff)
    position = np.searchsorted(profiles.customer, held_ids)
    started = time.perf_counter()
    probability, _reasons = calc.score(
        table, profiles.rows, profiles.features, profiles.vocabulary, len(profiles.customer)
    )
    score_all_s = time.perf_counter() - started
    stored = dict(TargetFit.objects.filter(run=run).values_list("customer_id", "score"))
    stored_score = np.array([stored.get(int(c), -1) for c in held_ids], dtype=float)

    # The single best attribute, chosen on the fitted customers.
    top_ids = np.array(
        sorted(
            CustomerValue.objects.filter(run=run, segment="top").values_list(
                "customer_id", flat=True
            )
        ),
        dtype=np.int64,
    )
    trained_ids = np.array(
        sorted(CustomerValue.objects.filter(run=run).values_list("customer_id", flat=True)),
        dtype=np.int64,
    )
    trained_pos = np.searchsorted(profiles.customer, trained_ids)
    trained_top = np.isin(trained_ids, top_ids)
    attrs = np.array([a for a, _v in profiles.vocabulary], dtype=object)
    best: tuple[float, str, float] | None = None
    per_attribute = {}
    for attr in ATTRIBUTES:
        mask = attrs[profiles.features] == attr
        if not mask.any():
            continue
        try:
            single = calc.fit(
                *_subset(profiles, mask, trained_pos),
                profiles.vocabulary,
                trained_top,
                multi=MULTI,
            )
        except FitError:  # no fitted customer has the attribute
            continue
        p, _r = calc.score(
            single,
            profiles.rows[mask],
            profiles.features[mask],
            profiles.vocabulary,
            len(profiles.customer),
        )
        train_auc = metrics.auc(p[trained_pos], trained_top)
        held_auc = metrics.auc(p[position], label)
        per_attribute[attr] = {"train": round(train_auc, 4), "held_out": round(held_auc, 4)}
        if best is None or train_auc > best[0]:
            best = (train_auc, attr, held_auc)
    return {
        "scenario": name,
        "cutoff": cutoff.isoformat(),
        "fitted_customers": table.customers,
        "fitted_top": table.top,
        "held_out": int(held_ids.shape[0]),
        "held_out_top": int(label.sum()),
        "auc_target_fit": round(metrics.auc(probability[position], label), 4),
        "auc_stored_score": round(metrics.auc(stored_score, label), 4),
        "auc_most_common_profile": round(metrics.auc(np.zeros(label.shape[0]), label), 4),
        "best_single_attribute": best[1] if best else None,
        "auc_best_single_attribute": round(best[2], 4) if best else None,
        # Upper bound of a one-attribute score: the best on the held-out customers.
        "auc_oracle_single_attribute": max(
            (a["held_out"] for a in per_attribute.values()), default=None
        ),
        "oracle_single_attribute": max(
            per_attribute, key=lambda a: per_attribute[a]["held_out"], default=None
        ),
        "per_attribute": per_attribute,
        "score_run_s": round(score_s, 2),
        "score_everyone_s": round(score_all_s, 3),
        "run_detail": run.detail.get("target_fit"),
    }


def _subset(profiles: Any, mask: np.ndarray, trained_pos: np.ndarray) -> tuple:
    """The features in ``mask`` of the fitted customers, rows renumbered to them."""
    index = np.full(profiles.customer.shape[0], -1, dtype=np.int64)
    index[trained_pos] = np.arange(trained_pos.shape[0])
    rows = index[profiles.rows[mask]]
    keep = rows >= 0
    return rows[keep], profiles.features[mask][keep]


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.utils import timezone

    customer_ids, _none = population_load(args, lambda _args, _ids: 0)
    profiles_fill(customer_ids, args.seed)
    now = timezone.now()
    cutoff = timezone.localdate() - dt.timedelta(days=2 * YEAR)
    ids, z = planted_z(timezone.localdate())
    results = []
    strengths = [float(d) for d in str(args.dependence).split(",") if d.strip()]
    scenarios = [("as generated", 0.0), *((f"planted d={d:g}", d) for d in strengths)]
    for name, strength in scenarios:
        weights = np.exp(strength * z)
        weights /= weights.mean()
        multiplier = dict(zip(ids.tolist(), weights.tolist(), strict=True))
        _clear()
        started = time.perf_counter()
        orders = load_orders(customer_ids, multiplier, now, args.seed)
        print(f"[{args.db}] {name}: {orders:,} orders in {time.perf_counter() - started:.1f} s")
        results.append({**evaluate(name, args, cutoff), "orders": orders})

    columns = (
        ("scenario", 18),
        ("fitted_customers", 9),
        ("held_out", 9),
        ("auc_target_fit", 11),
        ("auc_stored_score", 11),
        ("auc_most_common_profile", 11),
        ("auc_best_single_attribute", 11),
        ("best_single_attribute", 16),
        ("auc_oracle_single_attribute", 12),
        ("oracle_single_attribute", 16),
        ("score_run_s", 9),
    )
    heads = ("scenario", "fitted", "held-out", "AUC fit", "AUC 0-100", "AUC const", "AUC 1 attr",
             "its attribute", "AUC oracle", "oracle attr", "run s")  # fmt: skip
    print()
    print(f"target fit, {args.customers:,} customers, {args.db}; held-out AUC of "
          "'top 20 % of the cohort by gross profit in the first 12 months'")  # fmt: skip
    print("".join(f"{h:<{w}}" for h, (_k, w) in zip(heads, columns, strict=True)))
    for result in results:
        print("".join(f"{result[k]!s:<{w}}" for k, w in columns))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"db": args.db, "customers": args.customers, "dependence": args.dependence}
    out["scenarios"] = results
    (RESULTS / f"target_fit_{args.db}.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    )
    # With none, no better than chance (± noise); a planted dependence must be found.
    ok = abs(results[0]["auc_target_fit"] - 0.5) < 0.05
    return ok and all(r["auc_target_fit"] > 0.52 for r in results[1:])


if __name__ == "__main__":
    main()
