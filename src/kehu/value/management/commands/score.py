"""``kehu score [--as-of YYYY-MM-DD]``: score every customer's value as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.core.progress import progress_percent
from kehu.value.models import RunStatus
from kehu.value.services import score_run
from kehu.value.texts import run_message


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Customer value: RFM, tiers, the 20/60/20 split, BG/NBD + Gamma-Gamma CLV and churn "
        "risk for every customer, from the orders up to --as-of (default today)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (local date); default today")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        as_of = _date(options["as_of"]) if options.get("as_of") else today
        if as_of > today:
            raise CommandError(f"--as-of {as_of} is in the future (today is {today})")
        with progress_percent(self, disable=options["no_progress"]) as progress:
            try:
                run = score_run(as_of=as_of, progress=progress)
            except Exception as exc:
                raise CommandError(f"scoring failed: {type(exc).__name__}: {exc}") from exc
        text = run_message(run.message_code, run.detail)
        counts = (
            f"{run.customers} customers ({run.repeat_customers} repeat), {run.orders} orders "
            f"up to {run.as_of}"
        )
        if run.future_orders_ignored:
            counts += f"; {run.future_orders_ignored} orders dated after {run.as_of} ignored"
        if run.status == RunStatus.SUCCEEDED:
            p = run.params
            self.stdout.write(f"scored: {counts}")
            for name, label in (("bgnbd", "BG/NBD"), ("mbgnbd", "MBG/NBD")):
                if p.get(name):
                    used = " (used)" if p.get("model", "bgnbd") == name else ""
                    self.stdout.write(
                        f"{label}{used} (per day): "
                        + "r={r:.4g} alpha={alpha:.4g} a={a:.4g} b={b:.4g}".format(**p[name])
                    )
            self.stdout.write(
                "Gamma-Gamma: p={p:.4g} q={q:.4g} v={v:.4g}".format(**p["gamma_gamma"])
            )
            test = p.get("backtest") or {}
            if test.get("code") == "ok":
                scores = test["scores"]
                self.stdout.write(
                    f"back-test over the last {test['holdout_days']} days "
                    f"({test['customers']} customers, {test['actual']} purchases): "
                    + "; ".join(
                        f"{name} RMSE {one['rmse']:.4f}, predicted {one['predicted']:.0f}"
                        for name, one in scores.items()
                        if one.get("rmse") is not None
                    )
                )
            return
        if run.status == RunStatus.INSUFFICIENT or (run.customers and run.message_code):
            self.stdout.write(f"scored RFM only ({run.message_code}): {counts}")
            self.stdout.write(text)
            self.stdout.write("the previous successful snapshot stays the one shown")
            return
        raise CommandError(f"nothing scored ({run.message_code}): {text}")
