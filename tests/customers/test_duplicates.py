"""Duplicates: normalised keys, the check on create, masking, and the scan."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kehu.customers.duplicates import (
    DuplicateError,
    duplicate_scan,
    duplicate_scan_save,
    name_key,
)
from kehu.customers.models import DuplicatePair
from kehu.customers.services import customer_create
from tests.factories import make_customer


@pytest.mark.parametrize(
    "name",
    [
        "杭州明远科技有限公司",
        "杭州明远科技有限责任公司",
        "明远科技（杭州）有限公司",
        "明远科技(杭州)有限公司",
        "浙江杭州 明远科技 股份有限公司",
        "杭州明远科技（中国）有限公司",
        "杭州明远科技",
    ],
)
def test_company_name_variants_share_one_key(name):
    assert name_key(name, "company", "杭州市", "浙江省") == "明远科技"


def test_full_width_and_case_fold():
    assert name_key("ＡＢＣ Trading Co., Ltd.", "company") == name_key("abc trading", "company")
    assert name_key("张 三", "person") == "张三"


def _create(actor, name, *, kind="person", phones=(), allow=False, **data):
    return customer_create(
        actor=actor,
        data={"name": name, "kind": kind, **data},
        phones=phones,
        allow_duplicate=allow,
    )


@pytest.mark.django_db
def test_same_phone_is_caught_and_an_unseen_candidate_is_masked(org):
    make_customer(org.west_sales, name="王小明", phones=("13911112222",))
    with pytest.raises(DuplicateError) as info:
        _create(org.sales, "王晓明", phones=("+86 139 1111 2222",))
    error = info.value
    [candidate] = error.details["candidates"]
    assert candidate["reasons"] == ["phone"]
    assert candidate["visible"] is False and candidate["id"] is None
    assert candidate["name"] == "王*明"
    assert candidate["owner"] == org.west_sales.label and candidate["team"] == org.west.name
    assert "phones" not in candidate and "email" not in candidate
    # Someone else's customer: a salesperson may not create it anyway (撞单).
    assert error.details["can_override"] is False
    with pytest.raises(DuplicateError):
        _create(org.sales, "王晓明", phones=("13911112222",), allow=True)


@pytest.mark.django_db
def test_manager_may_create_anyway(org):
    make_customer(org.west_sales, name="王小明", phones=("13911112222",))
    customer = _create(org.manager, "王晓明", phones=("13911112222",), allow=True)
    assert customer.pk


@pytest.mark.django_db
def test_similar_company_name_in_same_city_warns_but_may_be_created(org):
    make_customer(org.sales, name="杭州明远信息科技有限公司", kind="company", city="杭州市")
    with pytest.raises(DuplicateError) as info:
        _create(org.sales, "杭州明远信息科枝有限公司", kind="company", city="杭州市")
    assert info.value.details["candidates"][0]["reasons"] == ["similar_name"]
    assert info.value.details["can_override"] is True
    _create(org.sales, "杭州明远信息科枝有限公司", kind="company", city="杭州市", allow=True)
    # Another city: a different company.
    _create(org.sales, "杭州明远信息科技有限公司", kind="company", city="宁波市")


@pytest.mark.django_db
def test_same_email_any_case(org):
    make_customer(org.sales, name="李雷", email="li.lei@example.com")
    with pytest.raises(DuplicateError) as info:
        _create(org.sales, "李磊", email="Li.Lei@Example.com")
    assert info.value.details["candidates"][0]["reasons"] == ["email"]
    assert info.value.details["candidates"][0]["name"] == "李雷"  # own: shown in full


@pytest.mark.django_db
def test_scan_finds_groups_and_keeps_dismissed_pairs(org):
    a = make_customer(org.sales, name="张三", phones=("13800000001",))
    b = make_customer(org.west_sales, name="张 三", phones=("13800000001",), actor=org.admin)
    c = make_customer(None, name="杭州明远科技有限公司", kind="company", city="杭州市")
    d = make_customer(None, name="明远科技（杭州）有限责任公司", kind="company", city="杭州市")
    e = make_customer(
        None, name="杭州明达科技有限公司", kind="company", city="杭州市", address="文三路 1 号"
    )
    f = make_customer(
        None, name="杭州明远科技有限公司", kind="company", city="宁波市", address="中山路 9 号"
    )
    g = make_customer(
        None, name="杭州明途科技有限公司", kind="company", city="杭州市", address="文三路1号"
    )
    result = duplicate_scan()
    pairs = {(x, y): reasons for x, y, _score, reasons in result.scored()}
    assert pairs[(a.pk, b.pk)] == ["phone"]
    assert pairs[(c.pk, d.pk)] == ["name"]
    assert pairs[(e.pk, g.pk)] == ["similar_name", "address"]  # one char off + same address
    assert (c.pk, e.pk) not in pairs  # one char off, nothing else: different companies
    assert all(f.pk not in pair for pair in pairs)  # other city
    assert sorted(ids for _s, ids in result.groups()) == [[a.pk, b.pk], [c.pk, d.pk], [e.pk, g.pk]]
    assert duplicate_scan_save(result) == 3
    DuplicatePair.objects.filter(customer_a=a).update(dismissed_at="2026-01-01T00:00Z")
    duplicate_scan_save(duplicate_scan())
    assert DuplicatePair.objects.filter(dismissed_at__isnull=True).count() == 2
    assert DuplicatePair.objects.filter(customer_a=a).count() == 1


@pytest.mark.django_db
def test_scan_command(org, capsys):
    make_customer(org.sales, name="张三", phones=("13800000001",))
    make_customer(org.sales, name="张叁", phones=("13800000001",), actor=org.admin)
    call_command("dedupe", "scan")
    out = capsys.readouterr().out
    assert "1 groups" in out and "张三" in out and "张叁" in out


def test_brand_difference_needs_the_address():
    from kehu.customers.duplicates import brand_ratio

    assert brand_ratio("户乐炼餐饮管理", "乐炼餐饮管理") == 0
    assert brand_ratio("明远信息科技", "明远信息科枝") > 80  # no common trade word
