"""Pool, claim, release, transfer, duplicates and merge pages — and who is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.duplicates import duplicate_scan, duplicate_scan_save
from kehu.customers.models import Customer, DuplicatePair, OwnerChange
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def pooled(org):
    return make_customer(
        None, name="公海客户", actor=org.admin, phones=("13700000000",), industry="餐饮"
    )


def test_pool_page_hides_contacts_and_shows_the_cap(client, org, pooled):
    client.force_login(org.sales)
    html = client.get(reverse("customers:pool")).content.decode()
    assert "公海客户" in html and "137" not in html
    assert "0 / 上限 500" in html
    filtered = client.get(reverse("customers:pool"), {"industry": "零售"}).content.decode()
    assert "公海客户" not in filtered


def test_claim_by_htmx_and_the_second_claimer_is_told(client, org, pooled):
    client.force_login(org.sales)
    response = client.post(reverse("customers:claim", args=[pooled.pk]), HTTP_HX_REQUEST="true")
    assert "已领取" in response.content.decode()
    client.force_login(org.east_sales2)
    response = client.post(reverse("customers:claim", args=[pooled.pk]), HTTP_HX_REQUEST="true")
    assert "刚刚被他人领取" in response.content.decode()
    assert Customer.objects.get(pk=pooled.pk).owner == org.sales


def test_release_needs_a_reason(client, org):
    customer = make_customer(org.sales, name="东")
    client.force_login(org.sales)
    client.post(reverse("customers:release", args=[customer.pk]), {"reason": ""})
    assert Customer.objects.get(pk=customer.pk).owner == org.sales
    client.post(reverse("customers:release", args=[customer.pk]), {"reason": "无需求"})
    assert Customer.objects.get(pk=customer.pk).owner is None
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "无需求" in html and "退回公海" in html


def test_transfer_page_and_refusals(client, org):
    for i in range(3):
        make_customer(org.sales, name=f"客户{i}")
    client.force_login(org.sales)
    assert client.get(reverse("customers:transfer_all")).status_code == 404
    one = Customer.objects.filter(owner=org.sales).first()
    assert (
        client.post(
            reverse("customers:transfer", args=[one.pk]),
            {"to_user": org.east_sales2.pk, "reason": "x"},
        ).status_code
        == 403
    )
    client.force_login(org.manager)
    response = client.post(
        reverse("customers:transfer_all"),
        {"from_user": org.sales.pk, "to_user": org.east_sales2.pk, "reason": "离职交接"},
    )
    assert response.status_code == 302
    assert Customer.objects.filter(owner=org.east_sales2).count() == 3
    assert OwnerChange.objects.filter(kind="transfer", reason="离职交接").count() == 3
    html = client.get(reverse("customers:detail", args=[one.pk])).content.decode()
    assert "离职交接" in html


def test_create_form_warns_about_duplicates(client, org):
    make_customer(org.west_sales, name="王小明", phones=("13911112222",))
    client.force_login(org.sales)
    data = {"name": "王晓明", "kind": "person", "phones": "13911112222"}
    html = client.post(reverse("customers:create"), data).content.decode()
    assert "疑似重复" in html and "王*明" in html and "仍然创建" not in html
    client.force_login(org.manager)
    html = client.post(reverse("customers:create"), data).content.decode()
    assert "仍然创建" in html
    response = client.post(reverse("customers:create"), {**data, "allow_duplicate": "1"})
    assert response.status_code == 302


def test_duplicates_page_merge_and_undo(client, org):
    a = make_customer(org.sales, name="张三", phones=("13800000001",))
    b = make_customer(org.sales, name="张叁", phones=("13800000001",), actor=org.admin)
    duplicate_scan_save(duplicate_scan())
    client.force_login(org.west_sales)
    assert "张叁" not in client.get(reverse("customers:duplicates")).content.decode()
    assert client.get(reverse("customers:merge", args=[a.pk, b.pk])).status_code == 404
    client.force_login(org.analyst)
    assert client.get(reverse("customers:merge", args=[a.pk, b.pk])).status_code == 403
    client.force_login(org.sales)
    html = client.get(reverse("customers:duplicates")).content.decode()
    assert "张叁" in html and "电话相同" in html
    html = client.get(reverse("customers:merge", args=[a.pk, b.pk])).content.decode()
    assert "张叁" in html and 'name="f_name"' in html
    response = client.post(reverse("customers:merge", args=[a.pk, b.pk]), {"f_name": "other"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=a.pk).name == "张叁"
    assert Customer.objects.get(pk=b.pk).merged_into_id == a.pk
    merge = Customer.objects.get(pk=a.pk).merges.get()
    assert client.post(reverse("customers:merge_undo", args=[merge.pk])).status_code == 404
    client.force_login(org.admin)
    client.post(reverse("customers:merge_undo", args=[merge.pk]))
    assert Customer.objects.get(pk=a.pk).name == "张三"
    assert Customer.objects.alive().filter(pk=b.pk).exists()


def test_dismiss_a_pair(client, org):
    make_customer(org.sales, name="张三", phones=("13800000001",))
    make_customer(org.sales, name="张叁", phones=("13800000001",), actor=org.admin)
    duplicate_scan_save(duplicate_scan())
    pair = DuplicatePair.objects.get()
    client.force_login(org.analyst)
    assert client.post(reverse("customers:duplicate_dismiss", args=[pair.pk])).status_code == 403
    client.force_login(org.sales)
    client.post(reverse("customers:duplicate_dismiss", args=[pair.pk]), HTTP_HX_REQUEST="true")
    assert DuplicatePair.objects.get().dismissed_by == org.sales
    assert "张叁" not in client.get(reverse("customers:duplicates")).content.decode()
