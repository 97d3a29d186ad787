"""The dashboard's tables and chart data, from a run's precomputed summary (never
recomputed per request)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kehu.core.charts import chart_config
from kehu.core.money import money_range_display
from kehu.value.models import ScoreRun, Segment
from kehu.value.services import CLV_EDGES
from kehu.value.texts import run_message

SEGMENT_LABELS = dict(Segment.choices)


def rfm_label(code: str) -> str:
    labels = {
        "champions": _("重要价值客户"),
        "loyal": _("忠诚客户"),
        "new": _("新客户"),
        "promising": _("潜力客户"),
        "need_attention": _("需关注客户"),
        "at_risk": _("重要挽留客户"),
        "hibernating": _("沉睡客户"),
    }
    return labels.get(code, code)


def _pct(value: Any) -> float | None:
    return round(float(value) * 100, 1) if isinstance(value, int | float) else None


def clv_labels(clv: dict[str, Any]) -> list[str]:
    """The lifetime-value buckets as amounts (``¥1,000–¥2,000``); a run stored with other
    edges keeps its own labels."""
    labels = list(clv.get("labels") or [])
    if len(labels) != len(CLV_EDGES):
        return labels
    highs = [*CLV_EDGES[1:], None]
    return [money_range_display(low, high) for low, high in zip(CLV_EDGES, highs, strict=True)]


def dashboard_context(run: ScoreRun | None, latest: ScoreRun | None) -> dict[str, Any]:
    context: dict[str, Any] = {"run": run, "latest": latest, "latest_text": ""}
    if latest is not None and (run is None or latest.pk != run.pk):
        context["latest_text"] = run_message(latest.message_code, latest.detail)
    if run is None:
        return context
    s = run.summary or {}
    context["run_text"] = run_message(run.message_code, run.detail)
    curve = s.get("pareto") or {}
    split = [
        {
            **row,
            "label": SEGMENT_LABELS.get(row.get("segment"), row.get("segment")),
            "revenue_pct": _pct(row.get("revenue_share")),
            "profit_pct": _pct(row.get("profit_share")),
        }
        for row in s.get("split") or []
    ]
    tiers = [{**row, "pct": _pct(row.get("share"))} for row in s.get("tiers") or []]
    movement = s.get("movement") or {}
    matrix = movement.get("matrix") or []
    clv = s.get("clv")
    if clv:
        clv = {**clv, "labels": clv_labels(clv)}
    segments = [
        {"code": code, "label": rfm_label(code), "customers": count}
        for code, count in (s.get("rfm_segments") or {}).items()
    ]
    context.update(
        {
            "summary": s,
            "top20_revenue": _pct(curve.get("top20_revenue")),
            "top20_profit": _pct(curve.get("top20_profit")),
            "split": split,
            "tiers": tiers,
            "movement": movement,
            "matrix_rows": [
                {"tier": index + 1, "cells": cells} for index, cells in enumerate(matrix)
            ],
            "clv": clv,
            "clv_rows": list(zip(clv["labels"], clv["counts"], strict=False)) if clv else [],
            "segments": segments,
            "at_risk": s.get("at_risk") or {},
            "chart": {
                "pareto": {
                    "x": [round(v * 100, 1) for v in curve.get("x") or []],
                    "revenue": [round(v * 100, 2) for v in curve.get("revenue") or []],
                    "profit": [round(v * 100, 2) for v in curve.get("profit") or []]
                    if curve.get("profit")
                    else None,
                },
                "split": {
                    "labels": [row["label"] for row in split],
                    "revenue": [row["revenue_pct"] or 0 for row in split],
                    "profit": [row["profit_pct"] or 0 for row in split],
                },
                "tiers": {
                    "labels": ["★" * row["tier"] for row in tiers],
                    "counts": [row["customers"] for row in tiers],
                },
                "clv": clv,
                "config": chart_config(),
            },
        }
    )
    return context
