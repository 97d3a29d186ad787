"""The value models against the published CDNOW results (tests/data/cdnow, no network).

Fader, Hardie & Lee (2005, Marketing Science): BG/NBD r=0.243, alpha=4.414, a=0.793,
b=2.426 (weeks), LL=-9582.4, and a customer with x=2, t_x=30.43, T=38.86 expects 1.226
purchases in the next 39 weeks. Fader, Hardie & Lee (2005, JMR) / Fader & Hardie (2013):
Gamma-Gamma p=6.25, q=3.74, gamma=15.44 on the 946 repeat customers.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from kehu.value.calc import bgnbd, clv, gamma_gamma, summary

DATA = Path(__file__).resolve().parent.parent / "data" / "cdnow"
AS_OF = dt.date(1997, 9, 30).toordinal()


@cache
def transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sample id, day ordinal, dollar value) of CDNOW_sample.txt."""
    raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
    days = [dt.date(int(s[:4]), int(s[4:6]), int(s[6:])).toordinal() for s in raw[:, 2]]
    return raw[:, 1].astype(np.int64), np.array(days, dtype=np.int64), raw[:, 4].astype(float)


@cache
def published() -> np.ndarray:
    """The calibration summary with zbar: ID, x, t_x, T, zbar (weeks)."""
    path = DATA / "cdnow_customers_summary_with_transactions.csv"
    return np.genfromtxt(path, delimiter=",", names=True)


@cache
def weekly() -> summary.Summary:
    return summary.summarize(*transactions(), as_of_day=AS_OF, unit_days=7)


@cache
def bg_fit() -> bgnbd.BGNBDFit:
    s = weekly()
    return bgnbd.fit(s.frequency, s.recency, s.T)


def rel(got: float, want: float) -> float:
    return abs(got - want) / abs(want)


def test_summary_rederives_published_x_tx_T() -> None:
    s, pub = weekly(), published()
    assert len(s) == 2357
    np.testing.assert_array_equal(s.customer, pub["ID"].astype(np.int64))
    np.testing.assert_array_equal(s.frequency, pub["x"].astype(np.int64))
    np.testing.assert_allclose(s.recency, pub["t_x"], atol=0.005)  # published: 2 dp weeks
    np.testing.assert_allclose(s.T, pub["T"], atol=0.005)
    np.testing.assert_allclose(s.monetary, pub["zbar"], atol=0.005 + 1e-9)
    assert int(s.orders.sum()) == 6919 - int((transactions()[1] > AS_OF).sum())


def test_summary_matches_the_plain_csv_too() -> None:
    plain = np.genfromtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", names=True)
    s = weekly()
    np.testing.assert_array_equal(s.frequency, plain["frequency"].astype(np.int64))
    np.testing.assert_allclose(s.recency, plain["recency"], atol=0.005)
    np.testing.assert_allclose(s.T, plain["T"], atol=0.005)


def test_bgnbd_reproduces_published_parameters() -> None:
    fit = bg_fit()
    p = fit.params
    for got, want in ((p.r, 0.243), (p.alpha, 4.414), (p.a, 0.793), (p.b, 2.426)):
        assert rel(got, want) < 0.01, (got, want)
    assert fit.converged and fit.n == 2357 and fit.repeat == 946
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_fit_on_the_published_summary_agrees() -> None:
    pub = published()
    fit = bgnbd.fit(pub["x"], pub["t_x"], pub["T"])
    assert rel(fit.params.r, 0.243) < 0.01 and rel(fit.params.b, 2.426) < 0.01
    assert fit.log_likelihood == pytest.approx(
        bgnbd.log_likelihood(fit.params, pub["x"], pub["t_x"], pub["T"]), rel=1e-12
    )


def test_worked_example_expects_1_226_purchases() -> None:
    """FHL (2005) section 5: x=2, t_x=30.43, T=38.86 -> 1.226 purchases in 39 weeks."""
    for params in (bg_fit().params, bgnbd.BGNBDParams(0.243, 4.414, 0.793, 2.426)):
        got = bgnbd.expected_purchases(params, 39, [2], [30.43], [38.86])[0]
        assert rel(got, 1.226) < 0.01


def test_new_customer_expectation_matches_paper_curve() -> None:
    """E[X(78)] of the fitted model (FHL 2005 Figure 1 tracks 78 weeks): finite, rising."""
    params = bg_fit().params
    values = [bgnbd.expected_purchases_new(params, t) for t in (0, 39, 78)]
    assert values[0] == 0 and 0 < values[1] < values[2] < 3


def test_fit_in_days_scales_alpha_by_seven() -> None:
    s_days = summary.summarize(*transactions(), as_of_day=AS_OF, unit_days=1)
    days = bgnbd.fit(s_days.frequency, s_days.recency, s_days.T).params
    weeks = bg_fit().params
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-9)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(weeks, name), rel=1e-9)


def test_gamma_gamma_reproduces_published_parameters() -> None:
    pub = published()
    fit = gamma_gamma.fit(pub["x"], pub["zbar"])
    assert fit.n == 946 and fit.converged
    for got, want in ((fit.params.p, 6.25), (fit.params.q, 3.74), (fit.params.v, 15.44)):
        assert rel(got, want) < 0.01, (got, want)


def test_gamma_gamma_from_transactions_matches() -> None:
    s = weekly()
    fit = gamma_gamma.fit(s.monetary_n, s.monetary)
    assert rel(fit.params.p, 6.25) < 0.01 and rel(fit.params.v, 15.44) < 0.01


def test_scores_are_finite_and_ordered() -> None:
    s = weekly()
    bg = bg_fit().params
    gg = gamma_gamma.fit(s.monetary_n, s.monetary).params
    alive = bgnbd.p_alive(bg, s.frequency, s.recency, s.T)
    assert np.all((alive > 0) & (alive <= 1)) and np.all(alive[s.frequency == 0] == 1)
    value = clv.clv(bg, gg, s.frequency, s.recency, s.T, s.monetary, unit_days=7)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)
    # the paper's customer 1 (x=2, t_x=30.43): a recent buyer is worth more than a lapsed one
    lapsed = clv.clv(bg, gg, [2], [5.0], [38.86], [22.35], unit_days=7)[0]
    recent = clv.clv(bg, gg, [2], [30.43], [38.86], [22.35], unit_days=7)[0]
    assert recent > lapsed > 0
