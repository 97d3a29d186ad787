"""``kehu exits``: exits listed, one recorded from a script, the analysis as a table.

    kehu exits list [--reason KEY] [--since 2026-01-01] [--until ...] [--open] [--limit 50]
    kehu exits record CUSTOMER_ID REASON [--competitor ...] [--details ...] [--user NAME]
    kehu exits summary [--by tier|channel|tenure|owner|team|month|...] [--since] [--until]

Everything runs as ``--user`` (default: the first admin) and sees what that user sees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import User
from kehu.accounts.selectors import command_actor
from kehu.customers.models import Customer
from kehu.exits.analysis import DIMENSIONS, ExitQuery, exit_analysis
from kehu.exits.selectors import ExitFilters, exit_list, reason_find
from kehu.exits.services import exit_record


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Customer exits: list, record one, summary (the exit analysis as a table)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Exits, newest first.")
        listing.add_argument("--reason", help="A reason's key (price, competitor, …).")
        listing.add_argument("--since")
        listing.add_argument("--until")
        listing.add_argument("--open", action="store_true", help="Only not won back.")
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--user")
        record = sub.add_parser("record", help="Record a customer's exit.")
        record.add_argument("customer", type=int)
        record.add_argument("reason", help="A reason's key or id.")
        record.add_argument("--competitor", default="")
        record.add_argument("--details", default="")
        record.add_argument("--user")
        summary = sub.add_parser("summary", help="Exits by reason and a dimension.")
        summary.add_argument("--by", choices=list(DIMENSIONS), default="reason")
        summary.add_argument("--since")
        summary.add_argument("--until")
        summary.add_argument("--user")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_actor(options.get("user"))
        if actor is None:
            raise CommandError(f"No active user {options.get('user') or '(admin)'}.")
        getattr(self, f"_{options['action']}")(actor, options)

    def _list(self, actor: User, options: dict[str, Any]) -> None:
        reason = None
        if options["reason"]:
            found = reason_find(options["reason"])
            if found is None:
                raise CommandError(f"No active reason {options['reason']}.")
            reason = found.pk
        filters = ExitFilters(
            reason=reason,
            won_back=False if options["open"] else None,
            since=_date(options["since"]),
            until=_date(options["until"]),
        )
        self.stdout.write("\t".join(("id", "at", "customer", "reason", "value before", "won back")))
        for e in exit_list(actor, filters)[: max(1, options["limit"])]:
            won = f"{e.won_back_at:%Y-%m-%d}" if e.won_back_at else ""
            self.stdout.write(
                f"{e.pk}\t{e.at:%Y-%m-%d}\t{e.customer.name}\t{e.reason.key}\t{e.value_before}\t{won}"
            )

    def _record(self, actor: User, options: dict[str, Any]) -> None:
        customer = Customer.objects.alive().filter(pk=options["customer"]).first()
        if customer is None:
            raise CommandError(f"No customer {options['customer']}.")
        reason = reason_find(options["reason"])
        if reason is None:
            raise CommandError(f"No active reason {options['reason']}.")
        try:
            record = exit_record(
                actor=actor,
                customer=customer,
                reason=reason,
                competitor=options["competitor"],
                details=options["details"],
            )
        except PermissionDenied:
            raise CommandError(f"{actor.username} may not record this customer's exit.") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"exit {record.pk}: {customer.name} ({reason.key})")

    def _summary(self, actor: User, options: dict[str, Any]) -> None:
        analysis = exit_analysis(
            actor,
            ExitQuery(
                by=options["by"], since=_date(options["since"]), until=_date(options["until"])
            ),
        )
        reasons = analysis.reasons
        self.stdout.write("\t".join(["", *(r.key for r in reasons), "total", "won back"]))
        for row in [*analysis.rows, analysis.total]:
            cells = [str(n) for n in row.cells(reasons)]
            self.stdout.write("\t".join([row.label, *cells, str(row.exits), str(row.won_back)]))
        for part in analysis.contexts:
            cells = [str(n) for n in part.row.cells(reasons)]
            self.stdout.write("\t".join([part.label, *cells, str(part.row.exits), ""]))
