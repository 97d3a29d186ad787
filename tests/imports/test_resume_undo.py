from __future__ import annotations

import pytest

from kehu.customers.models import Customer
from kehu.customers.services import customer_update
from kehu.imports.models import ImportRow, ImportStatus
from kehu.imports.running import STORED_CHUNK, import_run
from kehu.imports.undo import import_undo
from tests.conftest import Org
from tests.factories import make_customer
from tests.imports.helpers import checked, run


def _rows(n: int) -> list[list[str]]:
    return [["客户名称", "手机"]] + [[f"客户{i}", f"138{i:08d}"] for i in range(n)]


def test_a_killed_run_resumes_without_writing_a_row_twice(org: Org, write_csv) -> None:
    total = STORED_CHUNK * 2 + 7  # customers: the run writes the dry run's plans
    job = checked(org.admin, write_csv(_rows(total)))
    job = run(job, max_chunks=1)  # the worker dies after the first chunk
    assert job.status == ImportStatus.RUNNING
    assert Customer.objects.count() == STORED_CHUNK
    job = import_run(job)  # a worker picks it up again
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == total
    assert ImportRow.objects.filter(job=job, done=True).count() == total
    assert job.new_count == total
    assert Customer.objects.filter(name="客户0").count() == 1
    import_run(job)  # delivered once more: nothing new
    assert Customer.objects.count() == total


def test_undo_restores_updates_and_leaves_changed_records(org: Org, write_csv) -> None:
    old = make_customer(org.sales, name="老客户", phones=("13900139000",), city="")
    path = write_csv(
        [["客户名称", "手机", "城市"], ["老客户", "13900139000", "杭州"], ["新客户", "", "上海"]]
    )
    job = run(checked(org.admin, path, policy="fill"))
    assert job.update_count == 1 and job.new_count == 1
    old.refresh_from_db()
    assert old.city == "杭州"
    new = Customer.objects.get(name="新客户")
    customer_update(actor=org.admin, customer=new, version=new.version, data={"city": "北京"})
    result = import_undo(actor=org.admin, job=job)
    assert result.restored == 1 and result.removed == 0
    assert [cid for _n, cid, _name in result.changed] == [new.pk]
    old.refresh_from_db()
    assert old.city == ""
    assert Customer.objects.alive().filter(pk=new.pk).exists()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE  # something left: undo again with force
    result = import_undo(actor=org.admin, job=job, force=True)
    assert result.removed == 1
    assert not Customer.objects.alive().filter(pk=new.pk).exists()


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(org: Org, write_csv) -> None:
    path = write_csv([["客户名称", "手机"], ["好", "13800138000"], ["坏", "123"]])
    job = run(checked(org.admin, path, all_or_nothing=True))
    assert job.status == ImportStatus.FAILED and "全部成功才导入" in job.message
    assert not Customer.objects.filter(name="好").exists()


def test_duplicates_inside_the_file(org: Org, write_csv) -> None:
    path = write_csv(
        [
            ["客户名称", "手机", "邮箱"],
            ["甲", "13800138000", ""],
            ["甲2", "", ""],
            ["乙", "138 0013 8000", ""],
        ]
    )
    job = checked(org.sales, path)
    assert (job.new_count, job.duplicate_count) == (2, 1)
    assert ImportRow.objects.get(job=job, number=4).error == "与文件第 2 行是同一客户。"


def test_owners_by_column_and_by_team(org: Org, write_csv) -> None:
    org.sales.display_name = "王销售"
    org.sales.save()
    path = write_csv(
        [["客户名称", "负责人"], ["一", "王销售"], ["二", "east_sales2"], ["三", "无此人"]]
    )
    job = run(checked(org.manager, path, owner_rule="column"))
    assert Customer.objects.get(name="一").owner == org.sales
    assert Customer.objects.get(name="二").owner == org.east_sales2
    assert "无此人" in ImportRow.objects.get(job=job, number=4).error
    path = write_csv([["客户名称"], ["甲"], ["乙"], ["丙"]], name="team.csv")
    run(checked(org.manager, path, owner_rule="team", owner_team=org.east))
    owners = [Customer.objects.get(name=n).owner_id for n in ("甲", "乙", "丙")]
    assert len(set(owners)) >= 2


def test_salesperson_rows_matching_others_show_nothing_of_them(org: Org, write_csv) -> None:
    make_customer(org.west_sales, name="西部大客户", phones=("13700137000",), email="w@x.cn")
    make_customer(None, name="公海客户", phones=("13600136000",), actor=org.admin)
    path = write_csv([["客户名称", "手机"], ["随便", "13700137000"], ["公海", "13600136000"]])
    job = run(checked(org.sales, path))
    rows = {r.number: r for r in ImportRow.objects.filter(job=job)}
    assert rows[2].error == "已存在（其他人的客户）" and rows[2].target_id is None
    assert "西部" not in rows[2].error
    assert rows[3].error == "已存在（在公海中，请先领取）"
    assert Customer.objects.filter(phones__number="+8613700137000").count() == 1


@pytest.mark.parametrize("rule", ["pool", "team", "column"])
def test_salesperson_cannot_choose_other_owners(org: Org, write_csv, rule: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        checked(org.sales, write_csv([["客户名称"], ["一"]]), owner_rule=rule)
