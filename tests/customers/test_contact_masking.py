"""Contact data in the change history follows the detail view's rule
(``access.contact_data_hidden``) on every surface: the 修改记录 card, the timeline page
and its htmx partial, the API timeline, and the history a merge writes."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kehu.customers.merge import customer_merge
from kehu.customers.models import CustomerChange
from kehu.customers.ownership import pool_release
from kehu.customers.services import contact_save, customer_update
from kehu.customers.timeline import customer_timeline
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

# Every value the customer ever had in a contact field (old and new).
SECRETS = (
    "13811110001",
    "13811110002",
    "old@example.com",
    "new@example.com",
    "wx_old_id",
    "wx_new_id",
    "老地址路1号",
    "新地址路2号",
    "王联系",
    "13922220003",
    "lianxi@example.com",
)


@pytest.fixture
def released(org):
    """A customer whose phone, e-mail, WeChat, address and contacts changed while a
    salesperson owned it, then given back to the public pool."""
    customer = make_customer(
        org.sales,
        name="历史客户",
        kind="company",
        phones=("13811110001",),
        email="old@example.com",
        wechat_id="wx_old_id",
        address="老地址路1号",
        industry="制造",
    )
    customer = customer_update(
        actor=org.sales,
        customer=customer,
        version=customer.version,
        data={
            "email": "new@example.com",
            "wechat_id": "wx_new_id",
            "address": "新地址路2号",
            "industry": "零售",
        },
        phones=["13811110002"],
    )
    contact_save(
        actor=org.sales,
        customer=customer,
        data={"name": "王联系", "phone": "13922220003", "email": "lianxi@example.com"},
    )
    customer.refresh_from_db()
    return pool_release(actor=org.sales, customer=customer, reason="不再跟进")


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_history_rows_say_they_carry_contact_data(released):
    flagged = dict(
        CustomerChange.objects.filter(customer=released, action="update").values_list(
            "field", "contact_data"
        )
    )
    assert flagged == {
        "phones": True,
        "email": True,
        "wechat_id": True,
        "address": True,
        "contacts": True,
        "industry": False,
    }


def test_history_card_masks_contact_data_for_a_salesperson(client, org, released):
    client.force_login(org.east_sales2)
    html = client.get(reverse("customers:detail", args=[released.pk])).content.decode()
    assert leaked(html) == []
    history = html[html.index('id="history"') :]
    assert "领取后可见" in history  # the entry is there, its values are not
    assert "制造" in history and "零售" in history  # other fields stay readable


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_history_card_shows_contact_data_to_who_may_see_it(client, org, released, role):
    client.force_login(getattr(org, role))
    html = client.get(reverse("customers:detail", args=[released.pk])).content.decode()
    assert leaked(html[html.index('id="history"') :]) == list(SECRETS)


def test_history_card_shows_contact_data_to_the_owner(client, org, released):
    customer_update(
        actor=org.admin, customer=released, version=released.version, owner=org.east_sales2
    )
    client.force_login(org.east_sales2)
    html = client.get(reverse("customers:detail", args=[released.pk])).content.decode()
    assert leaked(html[html.index('id="history"') :]) == list(SECRETS)


@pytest.mark.parametrize("htmx", [False, True])
def test_timeline_masks_contact_data_for_a_salesperson(client, org, released, htmx):
    client.force_login(org.east_sales2)
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("customers:timeline", args=[released.pk])
    html = client.get(url, headers=headers).content.decode()
    assert leaked(html) == []
    assert "领取后可见" in html and "零售" in html
    only_changes = client.get(url, {"kind": "change"}, headers=headers).content.decode()
    assert leaked(only_changes) == [] and "领取后可见" in only_changes


@pytest.mark.parametrize("htmx", [False, True])
def test_timeline_shows_contact_data_to_an_admin(client, org, released, htmx):
    client.force_login(org.admin)
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("customers:timeline", args=[released.pk])
    html = client.get(url, {"kind": "change"}, headers=headers).content.decode()
    assert leaked(html) == list(SECRETS)


def test_api_timeline_masks_contact_data_for_a_salesperson(org, released):
    url = f"/api/v1/customers/{released.pk}/timeline"
    page = api_client_for(org.east_sales2).get(url, {"kind": "change", "limit": 100})
    assert page.status_code == 200
    assert leaked(json.dumps(page.json(), ensure_ascii=False)) == []
    details = [i["detail"] for i in page.json()["items"]]
    assert "领取后可见" in details and any("零售" in d for d in details)


def test_api_timeline_shows_contact_data_to_an_admin(org, released):
    url = f"/api/v1/customers/{released.pk}/timeline"
    page = api_client_for(org.admin).get(url, {"kind": "change", "limit": 100})
    assert leaked(" ".join(i["detail"] for i in page.json()["items"])) == list(SECRETS)


def test_timeline_without_a_reader_masks_contact_data(released):
    """A caller that names no reader gets what someone who may not see it gets."""
    events = customer_timeline(released, kinds=["change"], limit=100).events
    assert leaked(" ".join(e.title + e.detail for e in events)) == []


def test_interaction_with_a_contact_hides_the_contact_on_the_timeline(client, org):
    from kehu.interactions.services import interaction_log

    customer = make_customer(org.sales, name="联系客户", kind="company")
    contact = contact_save(actor=org.sales, customer=customer, data={"name": "赵联系人"})
    interaction_log(
        actor=org.sales,
        customer=customer,
        data={"kind": "call", "notes": "询价"},
        contact_id=contact.pk,
    )
    customer.refresh_from_db()
    pool_release(actor=org.sales, customer=customer, reason="不再跟进")
    url = reverse("customers:timeline", args=[customer.pk])
    client.force_login(org.east_sales2)
    html = client.get(url, {"kind": "interaction"}).content.decode()
    assert "询价" in html and "赵联系人" not in html
    client.force_login(org.manager)
    assert "赵联系人" in client.get(url, {"kind": "interaction"}).content.decode()


@pytest.fixture
def merged(org):
    """Two pool customers merged by a manager: the survivor's history records the
    phone and e-mail it took from the other one."""
    survivor = make_customer(None, name="合并留存", actor=org.admin)
    other = make_customer(
        None,
        name="合并并入",
        actor=org.admin,
        phones=("13833330004",),
        email="merge@example.com",
    )
    customer_merge(
        actor=org.manager, survivor_id=survivor.pk, other_id=other.pk, fields={"email": "other"}
    )
    return survivor


def test_merge_history_masks_contact_data_for_a_salesperson(client, org, merged):
    client.force_login(org.sales)
    html = client.get(reverse("customers:detail", args=[merged.pk])).content.decode()
    assert "合并并入" in html  # the merge record names what was merged
    assert "merge@example.com" not in html and "13833330004" not in html
    timeline = client.get(reverse("customers:timeline", args=[merged.pk])).content.decode()
    assert "merge@example.com" not in timeline and "13833330004" not in timeline
    api = api_client_for(org.sales).get(f"/api/v1/customers/{merged.pk}/timeline").json()
    text = json.dumps(api, ensure_ascii=False)
    assert "merge@example.com" not in text and "13833330004" not in text


def test_merge_history_shows_contact_data_to_a_manager(client, org, merged):
    client.force_login(org.manager)
    html = client.get(reverse("customers:detail", args=[merged.pk])).content.decode()
    history = html[html.index('id="history"') :]
    assert "merge@example.com" in history and "13833330004" in history
    assert "合并并入" in history  # the merge's note: which record went in
    assert "merged" not in history


def test_migration_marks_the_history_written_before(org):
    """Entries written before ``contact_data`` existed are marked from their field."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("kehu.customers.migrations.0010_change_contact_data")
    customer = make_customer(org.sales, name="旧历史")
    CustomerChange.objects.filter(customer=customer).delete()
    CustomerChange.objects.bulk_create(
        CustomerChange(customer=customer, at=timezone.now(), action=action, field=name)
        for action, name in [
            ("update", "phones"),
            ("update", "email"),
            ("merge", "wechat_id"),
            ("update", "address"),
            ("update", "contacts"),
            ("update", "notes"),
            ("update", "custom:vip"),
            ("create", ""),
        ]
    )
    assert not CustomerChange.objects.filter(contact_data=True).exists()
    migration.mark_contact_data(apps, None)
    marked = set(
        CustomerChange.objects.filter(customer=customer, contact_data=True).values_list(
            "field", flat=True
        )
    )
    assert marked == {"phones", "email", "wechat_id", "address", "contacts"}
