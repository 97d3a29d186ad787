"""``kehu channels``: the nightly summary by hand, costs typed from a script, and the
comparison as a table.

    kehu channels summarize [--months 13 | --all]
    kehu channels cost website 2026-11 12000.00 [--campaign ID] [--note ...] [--user NAME]
    kehu channels show [--start 2026-01] [--end 2026-12] [--team ID] [--by campaign]
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import User
from kehu.accounts.selectors import command_actor
from kehu.channels.forms import CompareForm
from kehu.channels.models import ChannelCost
from kehu.channels.selectors import channel_comparison
from kehu.channels.services import channel_cost_save
from kehu.channels.summaries import MONTHS, channel_months_refresh
from kehu.customers.models import SourceChannel
from kehu.messaging.models import Campaign


class Command(BaseCommand):
    help = "Channels compared: summarize (the nightly pass now), cost (record a spend), show."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        summarize = sub.add_parser("summarize", help="Rewrite the monthly summaries now.")
        summarize.add_argument("--months", type=int, default=MONTHS)
        summarize.add_argument("--all", action="store_true", help="Every month there is.")
        cost = sub.add_parser("cost", help="Record (or replace) a channel's spend in a month.")
        cost.add_argument("channel", choices=[v for v in SourceChannel.values if v])
        cost.add_argument("month", help="YYYY-MM")
        cost.add_argument("amount")
        cost.add_argument("--campaign", type=int)
        cost.add_argument("--note", default="")
        cost.add_argument("--user", help="As this user (default: the first admin).")
        show = sub.add_parser("show", help="The comparison as a table.")
        show.add_argument("--start")
        show.add_argument("--end")
        show.add_argument("--team", type=int)
        show.add_argument("--by", choices=["channel", "campaign"], default="channel")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _summarize(self, options: dict[str, Any]) -> None:
        run = channel_months_refresh(months=0 if options["all"] else options["months"])
        self.stdout.write(
            f"months from {run.months_from:%Y-%m}: {run.rows} rows in {run.seconds:.1f} s"
        )

    def _cost(self, options: dict[str, Any]) -> None:
        actor = _actor(options["user"])
        try:
            month = dt.datetime.strptime(options["month"], "%Y-%m").date()
            amount = Decimal(options["amount"])
        except (ValueError, InvalidOperation):
            raise CommandError(
                "month is YYYY-MM and amount a number, e.g. 2026-11 12000.00"
            ) from None
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign {options['campaign']}.")
        existing = ChannelCost.objects.filter(
            channel=options["channel"], campaign=campaign, month=month
        ).first()
        try:
            cost = channel_cost_save(
                actor=actor,
                channel=options["channel"],
                month=month,
                amount=amount,
                campaign=campaign,
                note=options["note"],
                cost=existing,
            )
        except PermissionDenied:
            raise CommandError(f"{actor.username} may not record channel costs.") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{cost.channel} {cost.month:%Y-%m}: {cost.amount}")

    def _show(self, options: dict[str, Any]) -> None:
        form = CompareForm(
            {k: options[k] or "" for k in ("start", "end", "team")} | {"by": options["by"]}
        )
        if not form.is_valid():
            raise CommandError(
                "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
            )
        comparison = channel_comparison(form.span())
        header = ("", "leads", "qualified", "customers", "first orders", "value", "cost", "ROI")
        self.stdout.write("\t".join(header))
        for row in [*comparison.rows, comparison.total]:
            roi = "" if row.roi is None else f"{row.roi:.1%}"
            counts = row.sums.counts
            self.stdout.write(
                "\t".join(
                    str(x)
                    for x in (
                        row.label,
                        counts["leads"],
                        counts["qualified"],
                        counts["customers"],
                        row.sums.first_order_revenue,
                        row.value,
                        row.cost,
                        roi,
                    )
                )
            )


def _actor(username: str | None) -> User:
    actor = command_actor(username)
    if actor is None:
        raise CommandError(f"No active user {username or '(admin)'}.")
    return actor
