"""The value dashboard shows money, counts and percentages in one format each: no
"-0.0%" for a loss-making group's tiny share, no "1250361.27", dates as on every other
page; its charts get the legend layout and formats as JSON."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.value.models import RunStatus, ScoreRun

pytestmark = pytest.mark.django_db
LANGUAGES = ("zh-hans", "en")


def _run() -> ScoreRun:
    split = [
        ("top", 239, 117093329.88, 45531443.21, 0.8581, 0.8643),
        ("middle", 953, 19309329.18, 7151937.68, 0.1415, 0.1358),
        ("drain", 2, 52998.4, -6993.6, 0.0004, -0.00013),  # a share that rounds to -0.0
    ]
    summary = {
        "customers": 1194,
        "revenue": 136455657.46,
        "profit": 52676387.29,
        "profit_estimated": False,
        "profit_recorded": True,
        "pareto": {
            "x": [0.0, 0.2, 1.0],
            "revenue": [0.0, 0.862, 1.0],
            "profit": [0.0, 0.864, 1.0],
            "top20_revenue": 0.862,
            "top20_profit": 0.864,
        },
        "split": [
            {
                "segment": code,
                "customers": n,
                "revenue": revenue,
                "profit": profit,
                "revenue_share": revenue_share,
                "profit_share": profit_share,
            }
            for code, n, revenue, profit, revenue_share, profit_share in split
        ],
        "tiers": [
            {"tier": t, "customers": 1200 * t, "revenue": 2643988.42 * t, "share": 0.2}
            for t in range(1, 6)
        ],
        "movement": {},
        "clv": {
            "labels": ["0–100", "100–200", "200–500", "500–1,000", "1,000–2,000", "2,000–5,000",
                       "5,000–10,000", "10,000–20,000", "20,000–50,000", "50,000–100,000",
                       "≥100,000"],
            "counts": [11, 2, 4, 3, 4, 16, 111, 268, 423, 198, 1540],
            "total": 1250361.27,
            "mean": 78245.32,
            "median": 29195.11,
        },
        "rfm_segments": {"champions": 2950},
        "at_risk": {"customers": 7880, "money_at_stake": 15258691.54, "worth_saving": 7630},
    }  # fmt: skip
    moment = timezone.now()
    return ScoreRun.objects.create(
        as_of=dt.date(2026, 6, 30),
        started_at=moment,
        finished_at=moment,
        status=RunStatus.SUCCEEDED,
        customers=1194,
        summary=summary,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_numbers_in_one_format(org, language):
    _run()
    client = Client()
    client.force_login(org.admin)
    page = client.get(reverse("value:dashboard"), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert "-0.0%" not in html and "0.0%" in html  # the drain group's profit share
    assert "-¥6,993.60" in html  # a loss is still a loss
    for shown in ("¥117,093,329.88", "¥136,455,657.46", "¥1,250,361.27", "¥15,258,691.54"):
        assert shown in html
    assert "86.2%" in html  # the top 20 % bring in …
    assert "¥1,000–¥2,000" in html and "≥¥100,000" in html  # the CLV buckets
    assert "1,540" in html and "7,880" in html  # counts grouped
    assert "2026-06-30" in html  # the run's date, as every page writes dates
    text = html.split('id="value-data"')[0]  # what a person reads (the chart data is JSON)
    assert not re.search(r"(?<![\d,.¥])\d{5,}\.\d{2}", text)  # no ungrouped amount
    assert " 元" not in html and "yuan" not in html
    chart = json.loads(html.split('id="value-data" type="application/json">')[1].split("<")[0])
    assert chart["config"]["legend"]["top"] == 0
    assert chart["config"]["formats"]["percent"]["suffix"] == "%"
    assert chart["clv"]["labels"][-1] == "≥¥100,000"
