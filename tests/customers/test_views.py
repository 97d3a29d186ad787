"""Customer pages: access per role, field errors, conflicts, pagination, language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customers.services import customer_update
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def book(org):
    return {
        "own": make_customer(org.sales, name="东一", phones=("13812345678",)),
        "other": make_customer(org.east_sales2, name="东二"),
        "west": make_customer(org.west_sales, name="西一"),
        "pool": make_customer(None, name="公海一", actor=org.admin, phones=("13900001111",)),
    }


def test_anonymous_is_sent_to_login(client, book):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_only_visible_customers(client, org, book):
    html = login(client, org.sales).get(reverse("customers:list")).content.decode()
    assert "东一" in html and "公海一" in html
    assert "东二" not in html and "西一" not in html
    assert "领取后可见" in html  # pool phones hidden from sales


def test_htmx_search_returns_the_results_partial(client, org, book):
    response = login(client, org.sales).get(
        reverse("customers:list"), {"q": "dy"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "东一" in html and '<nav class="navbar' not in html


@pytest.mark.parametrize(
    ("role", "key"),
    [("sales", "other"), ("sales", "west"), ("manager", "west"), ("west_manager", "own")],
)
def test_invisible_customer_pages_are_404(client, org, book, role, key):
    client = login(client, getattr(org, role))
    pk = book[key].pk
    for name in ("detail", "edit"):
        assert client.get(reverse(f"customers:{name}", args=[pk])).status_code == 404
    assert client.post(reverse("customers:delete", args=[pk])).status_code == 404
    assert Customer.objects.alive().filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("role", "key"), [("service", "own"), ("analyst", "own"), ("sales", "pool")]
)
def test_read_only_users_cannot_edit_or_delete(client, org, book, role, key):
    client = login(client, getattr(org, role))
    pk = book[key].pk
    assert client.get(reverse("customers:detail", args=[pk])).status_code == 200
    assert client.get(reverse("customers:edit", args=[pk])).status_code == 403
    assert client.post(reverse("customers:delete", args=[pk])).status_code == 403


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_get_no_create_page(client, org, role):
    assert login(client, getattr(org, role)).get(reverse("customers:create")).status_code == 404


def test_create_shows_field_errors_and_saves_nothing(client, org):
    response = login(client, org.sales).post(
        reverse("customers:create"),
        {"kind": "person", "name": "x" * 201, "email": "bad", "phones": "12345"},
    )
    assert response.status_code == 422  # field errors answer 422, as every form does
    form = response.context["form"]
    assert {"name", "email", "phones"} <= set(form.errors)
    assert Customer.objects.count() == 0


def test_create_then_detail_shows_history(client, org):
    client = login(client, org.sales)
    response = client.post(
        reverse("customers:create"),
        {
            "kind": "person",
            "name": "诸葛明亮",
            "phones": "13812345678",
            "tags": "VIP, 老客户",
        },
    )
    customer = Customer.objects.get(name="诸葛明亮")
    assert response.status_code == 302
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "138 1234 5678" in html and "VIP" in html and "创建" in html


def test_concurrent_edit_conflict_keeps_what_the_user_typed(client, org, book):
    customer = book["own"]
    client = login(client, org.sales)
    stale = customer.version
    customer_update(actor=org.manager, customer=customer, version=stale, data={"city": "宁波"})
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "kind": "person",
            "name": "东一",
            "city": "杭州",
            "phones": "13812345678",
            "version": stale,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "保存冲突" in html and 'value="杭州"' in html
    customer.refresh_from_db()
    assert customer.city == "宁波"
    # after review, a second submit goes through
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "kind": "person",
            "name": "东一",
            "city": "杭州",
            "phones": "13812345678",
            "version": response.context["form"].data["version"],
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.city == "杭州"


def test_page_past_the_end_is_a_clear_404(client, org, book):
    client = login(client, org.sales)
    assert client.get(reverse("customers:list"), {"page": 99}).status_code == 404
    assert client.get(reverse("customers:list"), {"page": "abc"}).status_code == 200


def test_list_queries_are_bounded(client, org, django_assert_max_num_queries):
    for i in range(30):
        make_customer(org.sales, name=f"客户{i}", phones=("13812345678",), tags=["VIP"])
    client = login(client, org.sales)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customers:list"), {"province": ""})
    assert response.status_code == 200


def test_admin_restores_a_deleted_customer(client, org, book):
    pk = book["own"].pk
    login(client, org.sales).post(reverse("customers:delete", args=[pk]))
    assert client.get(reverse("customers:detail", args=[pk])).status_code == 404
    client = login(client, org.admin)
    assert client.get(reverse("customers:detail", args=[pk])).status_code == 200
    client.post(reverse("customers:restore", args=[pk]))
    assert Customer.objects.alive().filter(pk=pk).exists()


def test_english_is_available(client, org, book):
    client = login(client, org.sales)
    client.post(reverse("set_language"), {"language": "en", "next": "/customers/"})
    html = client.get(reverse("customers:list")).content.decode()
    assert 'lang="en"' in html
    assert "New customer" in html and "新建客户" not in html
