"""``kehu segments list | count ID | snapshot | refresh``: segments for admins.

``list`` every alive segment with its last nightly size; ``count ID`` counts one now
(every alive customer, not scoped to a reader); ``refresh`` recomputes the stored order
facts; ``snapshot`` refreshes them and sizes every segment for today (what the nightly
job does; a segment sized today already is skipped).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.segments.audience import rule_errors, segment_customers
from kehu.segments.models import Segment, SegmentSnapshot
from kehu.segments.refresh import facts_refresh
from kehu.segments.services import snapshots_take


class Command(BaseCommand):
    help = "Segments (客户分群): list, count ID, refresh, snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "count", "refresh", "snapshot"))
        parser.add_argument("segment_id", nargs="?", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
        elif action == "count":
            self._count(options.get("segment_id"))
        elif action == "refresh":
            started = time.perf_counter()
            rows = facts_refresh()
            self.stdout.write(
                f"refreshed {rows} customers in {time.perf_counter() - started:.1f} s"
            )
        else:
            rows = facts_refresh()
            result = snapshots_take(day=timezone.localdate())
            self.stdout.write(
                f"refreshed {rows} customers; sized {result['taken']} segments, "
                f"{result['skipped']} already sized today, {result['broken']} with a broken rule"
            )

    def _list(self) -> None:
        latest = {
            row.segment_id: row for row in SegmentSnapshot.objects.order_by("segment_id", "date")
        }
        for segment in Segment.objects.filter(deleted_at__isnull=True).order_by("pk"):
            snap = latest.get(segment.pk)
            size = f"{snap.size} on {snap.date}" if snap else "not sized yet"
            kind, sharing = segment.kind, segment.sharing
            self.stdout.write(f"{segment.pk:>6}  {kind:<6}  {sharing:<7}  {segment.name}  ({size})")

    def _count(self, segment_id: int | None) -> None:
        if segment_id is None:
            raise CommandError("count needs a segment id (see `kehu segments list`)")
        segment = Segment.objects.filter(pk=segment_id, deleted_at__isnull=True).first()
        if segment is None:
            raise CommandError(f"no segment {segment_id}")
        if not segment.is_static:
            errors = rule_errors(segment.rule)
            if errors:
                raise CommandError("; ".join(errors))
        started = time.perf_counter()
        count = segment_customers(segment).count()
        self.stdout.write(f"{segment.name}: {count} ({time.perf_counter() - started:.3f} s)")
