"""``kehu export LIST --format csv|xlsx [--query Q] [--columns a,b] [--filter k=v]
[--user USERNAME] -o FILE``: a list exported as its page would export it for USERNAME
(default: the first active admin), with a progress bar; recorded like any export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import User
from kehu.accounts.selectors import command_actor
from kehu.core.progress import progress_bar
from kehu.exports.lists import export_lists
from kehu.exports.services import export_plan, export_record_direct, export_write

NO_SEGMENTS = "segments arrive with issue 20: use --query and --filter for now"


def _user(username: str | None) -> User:
    found = command_actor(username)
    if found is None and username:
        raise CommandError(f"no active user {username!r}")
    if found is None:
        raise CommandError("no active admin: name the user to export as with --user")
    return found


class Command(BaseCommand):
    help = "Export a list (as its page would, for --user) to a CSV or .xlsx file."
    # The system checks load every URL and view (~1.5 s) and check nothing a
    # file transfer depends on; ``kehu check`` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        keys = [e.key for e in export_lists()]
        parser.add_argument("list_key", metavar="LIST", choices=keys, help=" | ".join(keys))
        parser.add_argument("--format", dest="file_format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--segment", help="a customer segment's id (not yet: issue 20)")
        parser.add_argument("--query", "-q", default="", help="the list's search box")
        parser.add_argument("--columns", default="", help="column keys, comma-separated")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a filter of the list page's query string (repeatable), e.g. province=上海",
        )
        parser.add_argument("--user", help="export as this user (default: the first admin)")
        parser.add_argument("-o", "--output", required=True, help="the file to write")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("segment"):
            raise CommandError(NO_SEGMENTS)
        params: dict[str, str] = {}
        for item in options["filter"]:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"--filter takes NAME=VALUE, not {item!r}")
            params[name] = value
        if options["query"]:
            params["q"] = options["query"]
        user = _user(options.get("user"))
        columns = [c.strip() for c in options["columns"].split(",") if c.strip()] or None
        try:
            plan = export_plan(
                actor=user,
                list_key=options["list_key"],
                params=params,
                columns=columns,
                file_format=options["file_format"],
            )
        except PermissionDenied:
            raise CommandError(f"{user.username} may not export {options['list_key']}") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        target = Path(options["output"])
        partial = target.with_name(target.name + ".part")
        total = plan.source.count(10**9)
        bar = progress_bar(self, total=total, unit="rows", disable=options["no_progress"])
        with bar, partial.open("wb") as handle:
            rows = export_write(plan, handle, tick=lambda n: bar.update(n - bar.n))
            bar.update(rows - bar.n)
        os.replace(partial, target)
        export_record_direct(plan, rows=rows, via="cli")
        self.stdout.write(f"{rows} rows written to {target}")
