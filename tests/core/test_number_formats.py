"""One format each for money, counts, percentages, spans of time and dates, the same in
Chinese and English (``kehu.core.money``, ``kehu.core.numbers``, ``kehu.formats``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from kehu.core.charts import chart_config
from kehu.core.money import money_display, money_range_display, money_text
from kehu.core.numbers import count_text, duration_text, percent_text

LANGUAGES = ("zh-hans", "en")


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (Decimal("16660"), None, "¥16,660.00"),
        (Decimal("1250361.27"), None, "¥1,250,361.27"),
        (Decimal("387"), "CNY", "¥387.00"),
        (Decimal("-6993.6"), None, "-¥6,993.60"),
        (Decimal("-0.004"), None, "¥0.00"),  # no "-¥0.00"
        (Decimal("0.005"), None, "¥0.01"),  # half up, as an accountant rounds
        (93424907.61, None, "¥93,424,907.61"),  # a float from a stored JSON summary
        ("52998.4", None, "¥52,998.40"),
        (1200, "USD", "US$1,200.00"),
        (Decimal("5"), "THB", "THB 5.00"),
        (None, None, "—"),
        ("", None, "—"),
        (float("nan"), None, "—"),
    ],
)
def test_money_display(value, currency, shown):
    assert money_display(value, currency) == shown


def test_money_display_follows_the_business_currency_and_money_text_stays_plain():
    with override_settings(KEHU_CURRENCY="EUR"):
        assert money_display(Decimal("1234.5")) == "€1,234.50"
    assert money_text(Decimal("16660")) == "16660.00"  # JSON, history and CSV: plain
    assert money_range_display(1000, 2000) == "¥1,000–¥2,000"
    assert money_range_display(100000) == "≥¥100,000"


@pytest.mark.parametrize("language", LANGUAGES)
def test_counts_and_percentages_are_one_format_in_every_language(language):
    with translation.override(language):
        assert count_text(12345) == "12,345"
        assert count_text(0) == "0"
        assert count_text(None) == "—"
        assert percent_text(86.25) == "86.3%"
        assert percent_text(-0.0) == "0.0%"
        assert percent_text(-0.04) == "0.0%"  # rounds to zero: never "-0.0%"
        assert percent_text(-0.05) == "-0.1%"
        assert percent_text(100) == "100.0%"
        assert percent_text(37, 0) == "37%"
        assert percent_text(None) == "—"


@pytest.mark.parametrize(
    ("span", "zh", "en"),
    [
        (dt.timedelta(hours=1333, minutes=5), "55 天", "55 days"),
        (dt.timedelta(days=1, hours=23), "1 天", "1 day"),
        (dt.timedelta(hours=23, minutes=59), "23 小时", "23 hours"),
        (dt.timedelta(hours=1, minutes=30), "1 小时", "1 hour"),
        (dt.timedelta(minutes=12), "12 分钟", "12 minutes"),
        (dt.timedelta(minutes=1), "1 分钟", "1 minute"),
        (-dt.timedelta(hours=49), "2 天", "2 days"),  # the sign is the caller's words
    ],
)
def test_spans_are_days_from_a_day_on_with_plural_forms(span, zh, en):
    with translation.override("zh-hans"):
        assert duration_text(span) == zh
    with translation.override("en"):
        assert duration_text(span) == en


@pytest.mark.parametrize("language", LANGUAGES)
def test_template_filters_and_dates(language):
    template = Template(
        "{% load kehu %}{{ amount|money }} {{ amount|money:'USD' }} {{ n|count }} "
        "{{ share|percent }} {{ span|duration }} {{ day }} {{ moment }}"
    )
    context = Context(
        {
            "amount": Decimal("16660"),
            "n": 2001,
            "share": -0.0,
            "span": dt.timedelta(hours=1333),
            "day": dt.date(2026, 6, 30),
            "moment": dt.datetime(2026, 6, 30, 14, 5),
        }
    )
    with translation.override(language), override_settings(USE_TZ=False):
        shown = template.render(context)
    days = "55 天" if language == "zh-hans" else "55 days"
    assert shown == f"¥16,660.00 US$16,660.00 2,001 0.0% {days} 2026-06-30 2026-06-30 14:05"


def test_intcomma_groups_in_chinese_too():
    """Django's zh-Hans formats group nothing (``THOUSAND_SEPARATOR = ""``)."""
    template = Template("{% load humanize %}{{ n|intcomma }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 100000})) == "100,000"


def test_chart_config_puts_the_legend_above_a_plot_that_contains_its_labels():
    config = chart_config()
    assert config["legend"]["top"] == 0 and config["legend"]["type"] == "scroll"
    assert config["grid"]["top"] >= 30  # below a one-line legend
    assert config["grid"]["outerBoundsContain"] == "all"  # axis labels and names inside
    assert config["formats"]["money"] == {"prefix": "¥", "suffix": "", "places": 2}
    assert config["formats"]["percent"]["suffix"] == "%"
