"""``kehu lifecycle recompute [--model KEY]``: re-evaluate every customer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.core.progress import progress_bar
from kehu.customers.models import Customer
from kehu.lifecycle.engine import lifecycle_recompute, plans_load
from kehu.lifecycle.models import LifecycleModel


class Command(BaseCommand):
    help = "Lifecycle stages: recompute every customer's stage in the active models."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="re-evaluate all customers")
        recompute.add_argument("--model", action="append", help="model key (repeatable)")
        recompute.add_argument("--chunk", type=int, default=5000)
        recompute.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        models = options.get("model")
        if models:
            known = set(LifecycleModel.objects.filter(key__in=models).values_list("key", flat=True))
            missing = sorted(set(models) - known)
            if missing:
                raise CommandError(f"unknown lifecycle model: {', '.join(missing)}")
        if not plans_load(models):
            raise CommandError("no lifecycle model to evaluate (none active, or no stages)")
        total = Customer.objects.alive().count()
        with progress_bar(
            self, total=total, unit="customers", disable=options["no_progress"]
        ) as bar:
            result = lifecycle_recompute(
                now=timezone.now(), models=models, chunk=options["chunk"], progress=bar.update
            )
        self.stdout.write(f"{result.customers} customers evaluated, {result.changes} stage changes")
