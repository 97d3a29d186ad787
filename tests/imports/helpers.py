"""Running an import through its steps, as the pages and the command do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kehu.accounts.models import User
from kehu.imports.checking import import_check
from kehu.imports.models import ImportJob
from kehu.imports.running import import_run
from kehu.imports.services import (
    import_claim,
    import_options_set,
    import_read,
    import_upload,
)


def upload_and_read(actor: User, path: Path, kind: str = "customers") -> ImportJob:
    job = import_upload(actor=actor, source=path, name=path.name, kind=kind)
    return import_read(job)


def checked(actor: User, path: Path, **options: Any) -> ImportJob:
    job = upload_and_read(actor, path)
    if options:
        job = import_options_set(actor=actor, job=job, **options)
    return import_check(job)


def run(job: ImportJob, **kwargs: Any) -> ImportJob:
    assert import_claim(job, ("checked",), "running")
    return import_run(job, **kwargs)
