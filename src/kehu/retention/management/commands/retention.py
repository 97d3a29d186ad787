"""``kehu retention list | start PLAYBOOK --segment ID | report [PLAYBOOK] [--by ...] |
nightly``: retention playbooks (挽留方案) for admins.

``start`` acts as ``--user`` (else the first admin), for the segment's members that user
may change; ``nightly`` is the job's pass (outcomes of ended windows, the triggers).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.selectors import command_actor
from kehu.retention.models import Playbook
from kehu.retention.report import GROUPS, playbook_report
from kehu.retention.selectors import playbooks_list
from kehu.retention.services import playbook_start
from kehu.retention.tasks import retention_pass


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class Command(BaseCommand):
    help = "Retention playbooks (挽留方案): list, start, report, nightly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "start", "report", "nightly"))
        parser.add_argument("playbook_id", nargs="?", type=int)
        parser.add_argument("--segment", type=int, help="start: the segment's members")
        parser.add_argument("--by", choices=tuple(GROUPS), default="playbook")
        parser.add_argument("--user", help="who starts (default: the first admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for p in playbooks_list():
                state = "on " if p.is_active else "off"
                self.stdout.write(
                    f"{p.pk:>5}  {state}  {p.trigger:<10}  "
                    f"open {getattr(p, 'open_runs', 0):>6}  all {getattr(p, 'all_runs', 0):>7}  "
                    f"{p.name}"
                )
        elif action == "start":
            self._start(options)
        elif action == "report":
            self._report(options)
        else:
            self.stdout.write(str(retention_pass()))

    def _playbook(self, playbook_id: int | None) -> Playbook:
        if playbook_id is None:
            raise CommandError("give a playbook id (see `kehu retention list`)")
        playbook = Playbook.objects.filter(pk=playbook_id).first()
        if playbook is None:
            raise CommandError(f"no playbook {playbook_id}")
        return playbook

    def _start(self, options: dict[str, Any]) -> None:
        from kehu.segments.models import Segment
        from kehu.segments.selectors import members

        playbook = self._playbook(options.get("playbook_id"))
        actor = command_actor(options.get("user"))
        if actor is None:
            raise CommandError("no such active user (or no admin to act as)")
        segment_id = options.get("segment")
        segment = (
            Segment.objects.filter(pk=segment_id, deleted_at__isnull=True).first()
            if segment_id is not None
            else None
        )
        if segment is None:
            raise CommandError("start needs --segment ID of an existing segment")
        ids = list(members(actor, segment).values_list("pk", flat=True))
        result = playbook_start(actor=actor, playbook=playbook, customer_ids=ids)
        self.stdout.write(
            f"started {len(result.started)} ({len(result.held_out)} held out), "
            f"refused {len(result.refused)}"
        )

    def _report(self, options: dict[str, Any]) -> None:
        playbook_id = options.get("playbook_id")
        playbook = self._playbook(playbook_id) if playbook_id is not None else None
        report = playbook_report(by=options["by"], playbook=playbook)
        self.stdout.write(
            f"{'group':<24} {'runs':>7} {'saved':>6} {'lost':>6} {'rate':>7} "
            f"{'held':>6} {'held rate':>9} {'kept':>12} {'cost':>10}  uplift (95% CI)"
        )
        for row in [*report.rows, report.total]:
            u = row.uplift
            uplift = (
                f"{_pct(u.difference)} ({_pct(u.low)} to {_pct(u.high)})"
                if u.enough
                else "not enough data"
            )
            self.stdout.write(
                f"{row.label[:24]:<24} {row.runs:>7} {row.saved:>6} {row.lost:>6} "
                f"{_pct(row.save_rate):>7} {row.held_out:>6} {_pct(row.held_out_rate):>9} "
                f"{row.money_kept:>12} {row.cost:>10}  {uplift}"
            )
