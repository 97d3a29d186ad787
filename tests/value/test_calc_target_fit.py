"""The target fit's pure computation (``calc.target_fit``): a planted attribute is found,
ranks higher and is named; smoothing keeps a rare value from dominating."""

from __future__ import annotations

import numpy as np
import pytest

from kehu.value.calc import target_fit as tf
from kehu.value.calc.errors import FitError
from kehu.value.calc.metrics import auc


def planted(n: int = 4000, seed: int = 3):
    """Customers with an industry (8 values), a city (40) and a size (4); industry "餐饮"
    and size "big" raise the odds of being a top customer, the city does nothing."""
    rng = np.random.default_rng(seed)
    industry = rng.integers(0, 8, n)
    city = rng.integers(0, 40, n)
    size = rng.integers(0, 4, n)
    logit = -1.8 + 1.6 * (industry == 0) + 0.7 * (size == 3)
    top = rng.random(n) < 1 / (1 + np.exp(-logit))
    vocabulary = (
        [("industry", "餐饮")]
        + [("industry", f"行业{i}") for i in range(1, 8)]
        + [("city", f"城市{i}") for i in range(40)]
        + [("company_size", s) for s in ("micro", "small", "medium", "big")]
    )
    rows = np.concatenate([np.arange(n)] * 3)
    features = np.concatenate([industry, 8 + city, 48 + size])
    return rows, features, vocabulary, top, industry


def test_a_planted_attribute_is_found_ranks_higher_and_is_named():
    rows, features, vocabulary, top, industry = planted()
    table = tf.fit(rows, features, vocabulary, top)
    weights = table.weights["industry"]
    assert max(weights, key=weights.__getitem__) == "餐饮"
    assert weights["餐饮"] > 0.8
    assert max(abs(w) for w in table.weights["city"].values()) < weights["餐饮"] / 2
    probability, reasons = tf.score(table, rows, features, vocabulary, len(top))
    assert probability[industry == 0].mean() > 1.5 * probability[industry != 0].mean()
    assert auc(probability, top) > 0.65
    restaurant = int(np.flatnonzero(industry == 0)[0])
    assert reasons[restaurant][0][:2] == ("industry", "餐饮")
    assert all(
        reason[0] != "industry" for r in np.flatnonzero(industry != 0) for reason in reasons[r]
    )
    # Calibrated: the mean probability is the share of top customers.
    assert probability.mean() == pytest.approx(top.mean(), abs=0.01)


def test_a_profile_is_scored_from_the_stored_table_without_refitting():
    rows, features, vocabulary, top, _industry = planted()
    table = tf.FitTable.from_json(tf.fit(rows, features, vocabulary, top).to_json())
    assert table is not None
    best, reasons = tf.score_profile(table, {"industry": "餐饮", "company_size": "big"})
    plain, none = tf.score_profile(table, {"industry": "行业3", "company_size": "micro"})
    assert best > 2 * plain
    assert [r[:2] for r in reasons] == [("industry", "餐饮"), ("company_size", "big")]
    assert none == []
    empty, _ = tf.score_profile(table, {"industry": "", "tag": []})
    assert empty == pytest.approx(tf._sigmoid(np.array(table.intercept)), abs=1e-9)
    assert tf.FitTable.from_json({"base": "x"}) is None


def test_smoothing_keeps_a_value_seen_once_from_dominating():
    rows, features, vocabulary, top, _industry = planted()
    n = len(top)
    # One more customer, a top one, with an industry and a tag no one else has.
    vocabulary = [*vocabulary, ("industry", "独一家"), ("tag", "稀有")]
    rows = np.concatenate([rows, [n, n]])
    features = np.concatenate([features, [len(vocabulary) - 2, len(vocabulary) - 1]])
    top = np.append(top, True)
    table = tf.fit(rows, features, vocabulary, top, multi=("tag",))
    assert "独一家" not in table.weights["industry"]  # pooled with the other rare values
    assert abs(table.weights["industry"][tf.OTHER]) < 0.3
    assert "稀有" not in table.weights.get("tag", {})
    _p, reasons = tf.score(table, rows, features, vocabulary, n + 1)
    assert all(r[1] not in ("独一家", "稀有", tf.OTHER) for r in reasons[n])
    # Without pooling, shrinkage alone keeps it small beside the planted value.
    loose = tf.fit(rows, features, vocabulary, top, min_count=1)
    assert loose.weights["industry"]["独一家"] < loose.weights["industry"]["餐饮"] / 3


def test_fit_refuses_one_class_and_bad_rows():
    rows, features, vocabulary, top, _industry = planted(200)
    with pytest.raises(FitError) as error:
        tf.fit(rows, features, vocabulary, np.zeros_like(top))
    assert error.value.code == "insufficient_data"
    with pytest.raises(FitError):
        tf.fit(rows, features + 1000, vocabulary, top)
