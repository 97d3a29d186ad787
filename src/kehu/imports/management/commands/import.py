"""``kehu import FILE --kind customers``: the import without a browser.

The same steps as the pages (read, mapping, dry run, run) in this process, with a
progress bar; prints the counts and writes the error report next to the file
(``FILE.errors.xlsx``). ``--dry-run`` stops after the check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import User
from kehu.accounts.selectors import command_actor
from kehu.core.errors import KehuError
from kehu.core.progress import progress_percent
from kehu.imports.checking import import_check
from kehu.imports.models import DuplicatePolicy, ImportJob, ImportKind, ImportStatus, OwnerRule
from kehu.imports.report import report_count, report_write_next_to
from kehu.imports.running import import_run
from kehu.imports.services import (
    import_claim,
    import_mapping_named,
    import_options_set,
    import_read,
    import_upload,
)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = "Import customers (orders, interactions, products) from .xlsx, .xls, .csv or .vcf."
    # The system checks load every URL and view (~1.5 s) and check nothing a
    # file transfer depends on; ``kehu check`` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument(
            "--job",
            type=int,
            help="Run an import already checked (after --dry-run), or resume one.",
        )
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.CUSTOMERS)
        parser.add_argument(
            "--mapping", default="auto", help="A saved mapping's name, or auto (the default)."
        )
        parser.add_argument(
            "--policy", choices=DuplicatePolicy.values, default=DuplicatePolicy.SKIP
        )
        owner = parser.add_mutually_exclusive_group()
        owner.add_argument("--owner", help="Username that owns the new customers.")
        owner.add_argument("--pool", action="store_true", help="New customers go to the pool.")
        parser.add_argument("--sheet", default="", help="Worksheet (default: the first).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--all-or-nothing", action="store_true")
        parser.add_argument("--user", help="Import as this user (default: the first admin).")

    def _actor(self, username: str | None) -> User:
        actor = command_actor(username)
        if actor is None:
            raise CommandError(f"No active user {username or '(admin)'}.")
        return actor

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["user"])
        quiet = options["verbosity"] < 1
        if options["job"] is not None:
            self._run_checked(actor, options["job"], quiet=quiet)
            return
        path: Path | None = options["file"]
        if path is None:
            raise CommandError("Give a file to import, or --job to run one already checked.")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        owner_rule, owner_user = OwnerRule.IMPORTER, None
        if options["pool"]:
            owner_rule = OwnerRule.POOL
        elif options["owner"]:
            owner_user = User.objects.filter(username=options["owner"], is_active=True).first()
            if owner_user is None:
                raise CommandError(f"No active user {options['owner']}.")
            owner_rule = OwnerRule.IMPORTER if owner_user == actor else OwnerRule.USER
        try:
            job = import_upload(
                actor=actor,
                source=path,
                name=path.name,
                kind=options["kind"],
                sheet=options["sheet"],
            )
            job = import_read(job)
            if job.status == ImportStatus.FAILED:
                raise CommandError(job.message)
            job = import_mapping_named(actor=actor, job=job, name=options["mapping"])
            job = import_options_set(
                actor=actor,
                job=job,
                policy=options["policy"],
                all_or_nothing=options["all_or_nothing"],
                owner_rule=owner_rule,
                owner_user=owner_user,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        except (KehuError, PermissionDenied) as exc:
            raise CommandError(str(exc) or "Not allowed.") from None
        import_claim(job, (ImportStatus.MAPPING,), ImportStatus.CHECKING)
        with progress_percent(self, disable=quiet) as report:
            job = import_check(job, progress=lambda f: report(f, "check"))
        if job.status == ImportStatus.CHECKED and not options["dry_run"]:
            import_claim(job, (ImportStatus.CHECKED,), ImportStatus.RUNNING)
            with progress_percent(self, disable=quiet) as report:
                job = import_run(job, progress=lambda f: report(f, "import"))
        self._print(job, path, dry_run=options["dry_run"])
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.message)

    def _run_checked(self, actor: User, job_id: int, *, quiet: bool) -> None:
        """The run of a job the dry run checked (the pages' last step), or the rest of
        a run a stopped worker left."""
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None or not (job.user_id == actor.pk or actor.is_admin_role):
            raise CommandError(f"No import {job_id} of {actor.username}.")
        if not import_claim(job, (ImportStatus.CHECKED,), ImportStatus.RUNNING) and (
            job.status != ImportStatus.RUNNING
        ):
            raise CommandError(f"Import {job_id} is {job.status}, not checked.")
        with progress_percent(self, disable=quiet) as report:
            job = import_run(job, progress=lambda f: report(f, "import"))
        self._print(job, Path.cwd() / Path(job.original_name).name, dry_run=False)
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.message)

    def _print(self, job: Any, path: Path, *, dry_run: bool) -> None:
        label = "checked (dry run)" if dry_run else job.status
        self.stdout.write(
            f"import {job.pk}: {label}; rows {job.total_rows or 0:,}: "
            f"new {job.new_count:,}, update {job.update_count:,}, "
            f"duplicate {job.duplicate_count:,}, error {job.error_count:,}"
        )
        if job.status != ImportStatus.FAILED and report_count(job):
            target = report_write_next_to(job, path)
            self.stdout.write(f"error report: {target}")
