"""The at-risk list as a download (CSV or Excel, written by ``core.exports``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.core.exports import Cell
from kehu.value.selectors import RiskRow


def at_risk_header() -> list[Cell]:
    return [
        _("客户编号"),
        _("客户"),
        _("负责人"),
        _("星级"),
        _("流失风险"),
        _("原因"),
        _("挽回价值（元）"),
        _("值得挽留"),
        _("说明"),
    ]


def at_risk_table(rows: Iterable[RiskRow]) -> Iterator[list[Cell]]:
    """One line per warning; numbers as numbers."""
    yes, no = _("是"), _("否")
    separator = _("；")
    for row in rows:
        value = row.value
        owner = value.customer.owner
        yield [
            value.customer_id,
            value.customer.name,
            owner.label if owner is not None else _("公海"),
            value.tier,
            Decimal(f"{value.risk:.2f}"),
            separator.join(reason["text"] for reason in row.reasons),
            value.money_at_stake,
            yes if value.worth_saving else no,
            row.saving,
        ]
