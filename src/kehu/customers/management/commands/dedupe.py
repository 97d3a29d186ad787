"""``kehu dedupe scan``: find likely duplicate customers across the whole database.

Prints the groups with their scores and stores the pairs for the duplicates page
(pairs somebody marked "not a duplicate" stay dismissed).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.customers.duplicates import MIN_SCORE, duplicate_scan, duplicate_scan_save
from kehu.customers.models import Customer


class Command(BaseCommand):
    help = "Duplicates: `scan` lists likely duplicate groups with scores and stores them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="Scan every live customer.")
        scan.add_argument("--min-score", type=float, default=MIN_SCORE)
        scan.add_argument("--show", type=int, default=20, help="Groups to print (0: none).")
        scan.add_argument("--json", action="store_true", help="Print every group as JSON.")
        scan.add_argument("--no-save", action="store_true", help="Do not store the pairs.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["json"] or options["verbosity"] < 1

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(f"  {message}")

        result = duplicate_scan(progress=progress)
        groups = result.groups(options["min_score"])
        pairs = result.scored(options["min_score"])
        saved = (
            0 if options["no_save"] else duplicate_scan_save(result, min_score=options["min_score"])
        )
        if options["json"]:
            out: list[dict[str, Any]] = [
                {"score": score, "customers": ids, "pairs": []} for score, ids in groups
            ]
            group_of = {cid: out[i] for i, (_s, ids) in enumerate(groups) for cid in ids}
            for a, b, score, why in pairs:
                group_of[a]["pairs"].append({"a": a, "b": b, "score": score, "reasons": why})
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        self.stdout.write(
            f"{len(groups):,} groups, {len(pairs):,} pairs, "
            f"{result.compared:,} similar-name comparisons, {result.seconds:.1f} s"
            + ("" if options["no_save"] else f"; {saved:,} pairs stored")
        )
        shown = groups[: options["show"]]
        names = dict(
            Customer.objects.filter(pk__in=[i for _s, ids in shown for i in ids]).values_list(
                "pk", "name"
            )
        )
        for score, ids in shown:
            members = ", ".join(f"#{i} {names.get(i, '')}" for i in ids)
            self.stdout.write(f"  {score:.2f}  {members}")
