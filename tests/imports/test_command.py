from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kehu.customers.models import Customer
from tests.conftest import Org


def test_command_imports_and_writes_the_error_report(org: Org, write_csv) -> None:
    path = write_csv([["客户名称", "电话"], ["孙三", "13800138000"], ["", "x"]])
    out = StringIO()
    call_command("import", str(path), "--kind", "customers", "--user", "admin", stdout=out)
    text = out.getvalue()
    assert "new 1" in text and "error 1" in text
    assert path.with_name("customers.errors.xlsx").exists()
    assert Customer.objects.get(name="孙三").owner == org.admin


def test_dry_run_writes_nothing_and_pool_owner(org: Org, write_csv) -> None:
    path = write_csv([["客户名称"], ["李四"]])
    out = StringIO()
    call_command("import", str(path), "--dry-run", "--user", "admin", stdout=out)
    assert "checked (dry run)" in out.getvalue()
    assert not Customer.objects.filter(name="李四").exists()
    call_command("import", str(path), "--pool", "--user", "admin", stdout=StringIO())
    assert Customer.objects.get(name="李四").owner is None


def test_unknown_mapping_is_an_error(org: Org, write_csv) -> None:
    path = write_csv([["客户名称"], ["李四"]])
    with pytest.raises(CommandError, match="映射"):
        call_command("import", str(path), "--mapping", "nope", "--user", "admin")


def test_a_dry_run_then_its_run_by_job(org: Org, write_csv, tmp_path, monkeypatch) -> None:
    from kehu.imports.models import ImportJob

    monkeypatch.chdir(tmp_path)
    path = write_csv([["客户名称", "电话"], ["周五", "13800138005"], ["", "x"]])
    call_command("import", str(path), "--dry-run", "--user", "admin", stdout=StringIO())
    job = ImportJob.objects.get()
    with pytest.raises(CommandError, match="No import"):
        call_command("import", "--job", str(job.pk), "--user", "east_sales", stdout=StringIO())
    out = StringIO()
    call_command("import", "--job", str(job.pk), "--user", "admin", stdout=out)
    assert "new 1" in out.getvalue() and "error 1" in out.getvalue()
    assert Customer.objects.get(name="周五").owner == org.admin
    assert (tmp_path / "customers.errors.xlsx").exists()
    with pytest.raises(CommandError, match="not checked"):
        call_command("import", "--job", str(job.pk), "--user", "admin", stdout=StringIO())
