"""The uplift interval: Newcombe's hybrid score interval for a difference of two
proportions — checked on simulated populations whose true effect is known."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kehu.customers.models import Customer
from kehu.retention.models import Outcome, PlaybookRun
from kehu.retention.report import playbook_report
from kehu.retention.uplift import MIN_GROUP, uplift, wilson
from tests.retention.conftest import make_playbook


def test_wilson_matches_a_published_value():
    # Newcombe (1998), example: 81/263 → 0.2553 to 0.3662.
    low, high = wilson(81, 263)
    assert round(low, 4) == 0.2553 and round(high, 4) == 0.3662


def test_newcombe_matches_the_published_example():
    # Newcombe (1998) table II, 56/70 vs 48/80: method 10 gives 0.0524 to 0.3339.
    result = uplift(70, 56, 80, 48)
    assert result.enough
    assert round(result.difference, 4) == 0.2
    assert round(result.low, 4) == 0.0524 and round(result.high, 4) == 0.3339


def test_too_few_runs_is_not_enough_data():
    result = uplift(MIN_GROUP - 1, 5, 100, 30)
    assert not result.enough and result.difference is None and result.low is None
    assert result.held_out_rate == 0.3


def test_the_interval_covers_the_true_effect_about_95_times_in_100():
    rng = random.Random(2026)
    true_treated, true_held = 0.42, 0.30
    covered = 0
    for _ in range(400):
        n1, n2 = 900, 100
        s1 = sum(rng.random() < true_treated for _ in range(n1))
        s2 = sum(rng.random() < true_held for _ in range(n2))
        result = uplift(n1, s1, n2, s2)
        covered += result.low <= true_treated - true_held <= result.high
    assert 0.92 <= covered / 400 <= 0.98


def test_the_report_finds_a_known_effect_in_a_simulated_population(org):
    """2,000 customers, 10 % held out at random; a customer acted on is saved with
    probability 0.45, one held out with 0.25: the true uplift 0.20 is in the interval."""
    rng = random.Random(11)
    playbook = make_playbook(org.manager, holdout_percent=10)
    Customer.objects.bulk_create(Customer(name=f"模拟{i}") for i in range(2000))
    now = timezone.now()
    runs = []
    for pk in Customer.objects.values_list("pk", flat=True):
        held = rng.random() < 0.10
        saved = rng.random() < (0.25 if held else 0.45)
        runs.append(
            PlaybookRun(
                playbook=playbook,
                customer_id=pk,
                held_out=held,
                started_at=now - dt.timedelta(days=70),
                window_ends_at=now - dt.timedelta(days=10),
                trigger="manual",
                value_before=Decimal("100"),
                value_after=Decimal("120") if saved else Decimal("0"),
                outcome=Outcome.SAVED if saved else Outcome.LOST,
                ended_at=now,
            )
        )
    PlaybookRun.objects.bulk_create(runs)
    row = playbook_report(playbook=playbook).rows[0]
    result = row.uplift
    assert result.enough
    assert result.low <= 0.20 <= result.high
    assert result.low > 0  # an effect this size is found, not "maybe nothing"
