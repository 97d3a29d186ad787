"""/api/v1/customers: access per role, writes, bad input, conflicts, pages, search."""

from __future__ import annotations

import pytest
from django.test import Client

from kehu.customers.models import Customer, CustomerChange
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def url(customer: Customer | int | str) -> str:
    return f"{URL}/{customer.pk if isinstance(customer, Customer) else customer}"


@pytest.fixture
def book(org):
    return {
        "east_own": make_customer(org.sales, name="东一", phones=("13800138000",)),
        "east_other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一"),
        "pool": make_customer(None, name="公海一", actor=org.admin),
    }


def unchanged(customer: Customer) -> bool:
    fresh = Customer.objects.get(pk=customer.pk)
    return (fresh.version, fresh.name, fresh.email, fresh.deleted_at) == (
        customer.version,
        customer.name,
        customer.email,
        customer.deleted_at,
    )


# --- reading ------------------------------------------------------------------------


def test_customer_json(org, book):
    customer = make_customer(
        org.sales, name="张三", phones=("13800138001", "021 6234 5678"), tags=["VIP"]
    )
    response = api_client_for(org.sales).get(url(customer))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == customer.pk
    assert body["type"] == "person"
    assert body["phone"] == "+8613800138001"
    assert body["phones"] == ["+8613800138001", "+862162345678"]
    assert body["owner"] == {"id": org.sales.pk, "username": "east_sales", "name": "east_sales"}
    assert body["team"] == {"id": org.east.pk, "name": "华东"}
    assert body["tags"] == ["VIP"]
    assert body["version"] == 1
    assert response["ETag"] == '"1"'


def test_customer_without_phone_has_null_phone(org, book):
    body = api_client_for(org.admin).get(url(book["pool"])).json()
    assert body["phone"] is None
    assert body["phones"] == []
    assert body["owner"] is None


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("sales", "east_other"),
        ("sales", "west"),
        ("manager", "west"),
        ("west_manager", "east_own"),
        ("west_sales", "east_own"),
    ],
)
def test_invisible_customer_is_404_like_a_missing_one(org, book, role, key):
    client = api_client_for(getattr(org, role))
    answers = [
        client.get(url(book[key])),
        client.get(url(99_999_999)),
        client.patch(url(book[key]), {"name": "改", "version": 1}),
        client.delete(url(book[key])),
    ]
    for response in answers:
        assert response.status_code == 404
        assert response.json() == answers[1].json()
    assert answers[0].json()["code"] == "not_found"
    assert unchanged(book[key])


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "0", "99999999999999999999999", "%00"])
def test_an_id_that_is_not_an_id_is_404(org, book, bad_id):
    response = api_client_for(org.admin).get(url(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_path_under_api_is_json_404(db):
    response = Client(HTTP_HOST="localhost").get("/api/v2/customers")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_is_scoped_to_the_user(org, book):
    names = {c["name"] for c in api_client_for(org.sales).get(URL).json()["items"]}
    assert names == {"东一", "公海一"}
    names = {c["name"] for c in api_client_for(org.west_manager).get(URL).json()["items"]}
    assert names == {"西一", "公海一"}


def test_list_filters(org, book):
    client = api_client_for(org.admin)
    assert [c["name"] for c in client.get(URL, {"pool": "true"}).json()["items"]] == ["公海一"]
    owned = client.get(URL, {"owner": org.east_sales2.pk}).json()["items"]
    assert [c["name"] for c in owned] == ["东二"]
    team = client.get(URL, {"team": org.west.pk}).json()["items"]
    assert [c["name"] for c in team] == ["西一"]
    assert client.get(URL, {"type": "company"}).json()["count"] == 0
    assert client.get(URL, {"type": "alien"}).status_code == 422


def test_search_by_pinyin_initials(org, book):
    make_customer(org.sales, name="张三")
    make_customer(org.west_sales, name="张森")  # matches, but not the sales user's to see
    body = api_client_for(org.sales).get(URL, {"q": "zs"}).json()
    assert [c["name"] for c in body["items"]] == ["张三"]
    assert body["count"] == 1


def test_search_by_phone_suffix(org, book):
    body = api_client_for(org.sales).get(URL, {"q": "8000"}).json()
    assert [c["name"] for c in body["items"]] == ["东一"]


def test_pagination(org, book):
    client = api_client_for(org.admin)
    first = client.get(URL, {"page_size": 3}).json()
    assert (first["count"], first["page"], first["page_size"], first["num_pages"]) == (4, 1, 3, 2)
    assert len(first["items"]) == 3
    second = client.get(URL, {"page_size": 3, "page": 2}).json()
    assert len(second["items"]) == 1
    assert {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])


def test_page_past_the_end_is_404(org, book):
    response = api_client_for(org.admin).get(URL, {"page_size": 3, "page": 3})
    assert response.status_code == 404
    assert response.json()["code"] == "page_out_of_range"


@pytest.mark.parametrize("params", [{"page_size": 101}, {"page": 0}, {"page": "x"}])
def test_bad_paging_is_422(org, params):
    response = api_client_for(org.admin).get(URL, params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == set(params)


# --- creating -----------------------------------------------------------------------


def test_create(org):
    response = api_client_for(org.sales).post(
        URL,
        {
            "name": "北京星辰科技有限公司",
            "type": "company",
            "phones": ["010-6552 9988"],
            "email": "info@xingchen.example.cn",
            "province": "北京市",
            "source_channel": "trade_show",
            "tags": ["展会", "重点"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "company"
    assert body["phone"] == "+861065529988"
    assert body["owner"]["id"] == org.sales.pk
    assert body["team"]["id"] == org.east.pk
    assert sorted(body["tags"]) == ["展会", "重点"]
    assert response["Location"].endswith(f"/api/v1/customers/{body['id']}")
    assert CustomerChange.objects.filter(customer_id=body["id"], action="create").exists()


def test_create_into_the_pool_needs_a_manager(org):
    refused = api_client_for(org.sales).post(URL, {"name": "李四", "owner": None})
    assert refused.status_code == 422
    assert "owner" in refused.json()["errors"]
    created = api_client_for(org.manager).post(URL, {"name": "李四", "owner": None})
    assert created.status_code == 201
    assert created.json()["owner"] is None


def test_manager_cannot_assign_to_another_team(org):
    response = api_client_for(org.manager).post(URL, {"name": "李四", "owner": org.west_sales.pk})
    assert response.status_code == 422
    assert "owner" in response.json()["errors"]


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_cannot_create(org, role):
    response = api_client_for(getattr(org, role)).post(URL, {"name": "李四"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "李四", "phones": ["12345"]}, "phones"),
        ({"name": "李四", "email": "not-an-email"}, "email"),
        ({"name": "李" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({}, "name"),
        ({"name": "李四", "type": "alien"}, "type"),
        ({"name": "李四", "gender": "robot"}, "gender"),
        ({"name": "李四", "favourite_colour": "red"}, "favourite_colour"),
        ({"name": "李四", "birthday": "1990-02-30"}, "birthday"),
        ({"name": "李四", "name_pinyin": "x"}, "name_pinyin"),
        ({"name": "李\x00四"}, "name"),
        ({"name": 42}, "name"),
        ({"name": "李四", "phones": ["13800138000"] * 11}, "phones"),
        ({"name": "李四", "custom_fields": {"nope": "1"}}, "custom_nope"),
    ],
)
def test_bad_input_is_422_and_creates_nothing(org, body, field):
    response = api_client_for(org.admin).post(URL, body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    assert payload["message"]
    assert field in payload["errors"], payload
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ('{"name": "李四"', 400, "malformed_json"),
        ("not json", 400, "malformed_json"),
        ('{"name": "\\ud800"}', 422, "invalid"),  # a lone surrogate: not storable text
    ],
)
def test_malformed_json(org, raw, status, code):
    response = api_client_for(org.admin).post(URL, raw=raw)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '"李四"', "null", "42"])
def test_json_that_is_not_an_object_is_422(org, raw):
    response = api_client_for(org.admin).post(URL, raw=raw)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


# --- changing -----------------------------------------------------------------------


def test_patch_is_partial(org, book):
    customer = book["east_own"]
    response = api_client_for(org.sales).patch(
        url(customer), {"email": "dong@example.cn", "version": 1}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["name"], body["phone"]) == (
        "dong@example.cn",
        "东一",
        "+8613800138000",
    )
    assert body["version"] == 2
    assert response["ETag"] == '"2"'
    change = CustomerChange.objects.get(customer=customer, field="email")
    assert (change.old_value, change.new_value, change.actor_id) == (
        "",
        "dong@example.cn",
        org.sales.pk,
    )


def test_patch_with_if_match(org, book):
    client = api_client_for(org.sales)
    response = client.patch(
        url(book["east_own"]), {"phones": [], "tags": ["老客户"]}, **{"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.content
    assert response.json()["phones"] == []
    assert response.json()["phone"] is None
    assert response.json()["tags"] == ["老客户"]


def test_patch_without_version_is_428(org, book):
    response = api_client_for(org.sales).patch(url(book["east_own"]), {"name": "改"})
    assert response.status_code == 428
    assert response.json()["code"] == "version_required"
    assert unchanged(book["east_own"])


def test_stale_version_is_409_and_changes_nothing(org, book):
    customer = book["east_own"]
    api_client_for(org.manager).patch(url(customer), {"name": "经理改的", "version": 1})
    before = Customer.objects.get(pk=customer.pk)
    response = api_client_for(org.sales).patch(
        url(customer), {"name": "销售改的", "email": "x@example.cn", "version": 1}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["message"]
    assert body["details"]["current_version"] == 2
    assert unchanged(before)


@pytest.mark.parametrize(
    ("body", "headers"),
    [({"version": 1}, {"If-Match": '"2"'}), ({}, {"If-Match": "*"}), ({"version": 0}, {})],
)
def test_bad_version_is_422(org, book, body, headers):
    response = api_client_for(org.sales).patch(
        url(book["east_own"]), {"name": "改", **body}, **headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert unchanged(book["east_own"])


@pytest.mark.parametrize(
    ("role", "key"),
    [("analyst", "east_own"), ("service", "east_own"), ("sales", "pool"), ("analyst", "pool")],
)
def test_read_only_access_is_403(org, book, role, key):
    client = api_client_for(getattr(org, role))
    assert client.get(url(book[key])).status_code == 200
    for response in (
        client.patch(url(book[key]), {"name": "改", "version": 1}),
        client.delete(url(book[key])),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert unchanged(book[key])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phones": ["abc"]}, "phones"),
        ({"email": "@@"}, "email"),
        ({"name": "东" * 201}, "name"),
        ({"name": None}, "name"),
        ({"type": "alien"}, "type"),
        ({"id": 5}, "id"),
        ({"owner": 10**30}, "owner"),
    ],
)
def test_bad_patch_is_422_and_changes_nothing(org, book, body, field):
    customer = book["east_own"]
    response = api_client_for(org.manager).patch(url(customer), {**body, "version": 1})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert unchanged(customer)


def test_manager_releases_to_pool(org, book):
    response = api_client_for(org.manager).patch(
        url(book["east_other"]), {"owner": None, "version": 1}
    )
    assert response.status_code == 200
    assert response.json()["owner"] is None


def test_sales_cannot_reassign(org, book):
    response = api_client_for(org.sales).patch(
        url(book["east_own"]), {"owner": org.east_sales2.pk, "version": 1}
    )
    assert response.status_code == 422
    assert Customer.objects.get(pk=book["east_own"].pk).owner_id == org.sales.pk


# --- deleting -----------------------------------------------------------------------


def test_delete_is_soft(org, book):
    client = api_client_for(org.sales)
    customer = book["east_own"]
    response = client.delete(url(customer))
    assert response.status_code == 204
    assert response.content == b""
    assert Customer.objects.get(pk=customer.pk).deleted_at is not None
    assert client.get(url(customer)).status_code == 404
    assert client.delete(url(customer)).status_code == 404


def test_delete_with_stale_if_match_is_409(org, book):
    customer = book["east_own"]
    response = api_client_for(org.sales).delete(url(customer), **{"If-Match": '"7"'})
    assert response.status_code == 409
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


# --- bugs -----------------------------------------------------------------------------


def test_a_bug_is_a_json_500_and_is_not_hidden(org, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("kehu.api.customers.customer_list", broken)
    client = api_client_for(org.admin)
    with pytest.raises(RuntimeError, match="a bug"):
        client.get(URL)  # the test client re-raises what Django would report

    client.client.raise_request_exception = False
    response = client.get(URL)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "server_error"


@pytest.mark.django_db
def test_pool_customer_shows_sales_no_contact_data_until_claimed(org, as_user):
    from kehu.customers.ownership import pool_claim

    pooled = make_customer(
        None, name="公海客户", phones=("13800138000",), actor=org.admin, email="pool@example.com"
    )
    body = as_user(org.sales).get(f"/api/v1/customers/{pooled.pk}").json()
    assert (body["phone"], body["phones"], body["email"]) == (None, [], "")
    assert as_user(org.manager).get(f"/api/v1/customers/{pooled.pk}").json()["phone"]
    pool_claim(actor=org.sales, customer_id=pooled.pk)
    body = as_user(org.sales).get(f"/api/v1/customers/{pooled.pk}").json()
    assert body["phone"] == "+8613800138000" and body["email"] == "pool@example.com"
