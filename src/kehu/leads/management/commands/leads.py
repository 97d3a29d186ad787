"""``kehu leads assign`` / ``kehu leads reclaim``: the lead pool's rules, by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.leads.assignment import lead_reclaim, lead_settings, pool_assign_by_rule


class Command(BaseCommand):
    help = (
        "Leads: `assign` gives the pool's open leads an owner by the assignment rules; "
        "`reclaim` returns leads nobody called for the set days to the pool."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        assign = sub.add_parser("assign", help="Assign the pool's open leads by the rules.")
        assign.add_argument("--limit", type=int, default=1000)
        sub.add_parser("reclaim", help="Apply the reclaim rule now (safe to run twice).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "assign":
            settings = lead_settings()
            report = pool_assign_by_rule(actor=None, limit=options["limit"])
            self.stdout.write(
                f"rule: {settings.mode}\nassigned: {report.assigned}\nleft in pool: {report.left}"
            )
        else:
            returned = lead_reclaim().returned
            self.stdout.write(f"returned to pool: {len(returned)}")
