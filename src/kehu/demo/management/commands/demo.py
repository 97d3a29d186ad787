"""``kehu demo [--customers N] [--seed S]``: load the demo data set."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.core.progress import progress_percent
from kehu.demo.generate import DEMO_PASSWORD, DemoError, demo_load


class Command(BaseCommand):
    help = "Load a deterministic, realistic demo data set into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["customers"]
        if count < 0 or count > 5_000_000:
            raise CommandError("--customers must be between 0 and 5,000,000")
        with progress_percent(self, disable=options["verbosity"] < 1) as progress:
            try:
                result = demo_load(customers=count, seed=options["seed"], progress=progress)
            except DemoError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"demo loaded: {result['customers']} customers, {result['users']} users, "
            f"{result.get('orders', 0)} orders, {result.get('interactions', 0)} interactions, "
            f"{result.get('tasks', 0)} tasks (login admin / {DEMO_PASSWORD})"
        )
