"""``kehu pool reclaim``: apply the reclaim rules (safe to run twice)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.customers.ownership import pool_reclaim


class Command(BaseCommand):
    help = "The public pool: `reclaim` returns idle customers and sends advance notices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reclaim", help="Apply the reclaim rules now.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = pool_reclaim()
        self.stdout.write(f"returned to pool: {report.returned}\nadvance notices: {report.noticed}")
