"""The at-risk list as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from kehu.value.selectors import RiskRow


class _Line:
    """A file-like object for ``csv.writer`` that hands each line back."""

    def write(self, value: str) -> str:
        return value


def at_risk_csv(rows: Iterable[RiskRow]) -> Iterator[str]:
    writer: Any = csv.writer(_Line())
    yield "\ufeff"
    yield writer.writerow(
        [
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
    )
    yes, no = _("是"), _("否")
    separator = _("；")
    for row in rows:
        value = row.value
        owner = value.customer.owner
        yield writer.writerow(
            [
                value.customer_id,
                value.customer.name,
                owner.label if owner is not None else _("公海"),
                value.tier,
                f"{value.risk:.2f}",
                separator.join(reason["text"] for reason in row.reasons),
                value.money_at_stake,
                yes if value.worth_saving else no,
                row.saving,
            ]
        )
