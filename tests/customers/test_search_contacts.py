"""Search is no oracle for contact data a user may not see: for those customers a
phone, e-mail or WeChat id matches only as the complete value ("is this caller already
in the pool?"), never a prefix, suffix or part of it. Names search as before."""

from __future__ import annotations

import pytest

from kehu.customers.ownership import pool_claim
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.services import contact_save
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def names(user, q):
    return [c.name for c in customer_list(user, CustomerFilters(q=q)).items]


@pytest.fixture
def book(org):
    pool = make_customer(
        None,
        name="公海甲",
        actor=org.admin,
        phones=("13855556666",),
        email="secret.mail@example.com",
        wechat_id="wx_secret_88",
    )
    make_customer(None, name="公海乙", actor=org.admin, wechat_id="secretwx99")
    company = make_customer(None, name="公海丙有限公司", kind="company", actor=org.admin)
    contact_save(
        actor=org.admin,
        customer=company,
        data={"name": "丁经理", "phone": "13977778888", "email": "contact.person@corp.cn"},
    )
    make_customer(
        org.sales,
        name="自己的",
        phones=("13844449999",),
        email="mine@example.com",
        wechat_id="minewx",
    )
    return {"pool": pool}


@pytest.mark.parametrize(
    "query",
    [
        "6666",  # any 4-digit suffix
        "556666",
        "5556666",
        "3855556666",
        "1385555666",  # all but the last digit
        "5555",  # a middle part
        "se",  # an e-mail, one character at a time
        "secret",
        "secret.",
        "secret.mail@",
        "secret.mail@example.co",
        "wx",  # a WeChat id
        "wx_",
        "wx_secret",
        "wx_secret_8",
        "secretwx",
        "secretwx9",
        "8888",  # a contact's phone
        "13977778",
        "contact",  # a contact's e-mail
        "contact.person@corp",
    ],
)
def test_part_of_a_pool_customers_contact_data_finds_nothing_for_a_salesperson(org, book, query):
    assert names(org.sales, query) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("13855556666", "公海甲"),
        ("+86 138-5555-6666", "公海甲"),
        ("138 5555 6666", "公海甲"),
        ("secret.mail@example.com", "公海甲"),
        ("Secret.Mail@Example.com", "公海甲"),
        ("wx_secret_88", "公海甲"),
        ("secretwx99", "公海乙"),
        ("13977778888", "公海丙有限公司"),
        ("contact.person@corp.cn", "公海丙有限公司"),
    ],
)
def test_the_complete_value_finds_a_pool_customer(org, book, query, expected):
    assert names(org.sales, query) == [expected]


@pytest.mark.parametrize("query", ["9999", "449999", "mine", "mine@", "min", "minew", "minewx"])
def test_the_owner_finds_own_customers_by_part_of_their_contact_data(org, book, query):
    assert names(org.sales, query) == ["自己的"]


def test_a_claimed_customer_is_found_by_its_phone_suffix(org, book):
    assert names(org.sales, "6666") == []
    pool_claim(actor=org.sales, customer_id=book["pool"].pk)
    assert names(org.sales, "6666") == ["公海甲"]
    assert names(org.sales, "secret") == ["公海甲"]
    assert names(org.east_sales2, "6666") == []  # not theirs, not in the pool: not visible


@pytest.mark.parametrize("role", ["admin", "manager", "service"])
def test_who_may_see_pool_contact_data_finds_it_by_a_part(org, book, role):
    user = getattr(org, role)
    assert names(user, "6666") == ["公海甲"]
    assert names(user, "secret") == ["公海乙", "公海甲"]
    assert names(user, "wx_secret") == ["公海甲"]
    assert names(user, "8888") == ["公海丙有限公司"]


def test_names_search_as_before(org, book):
    assert names(org.sales, "公海") == ["公海丙有限公司", "公海乙", "公海甲"]
    assert names(org.sales, "ghj") == ["公海甲"]
    assert names(org.sales, "gonghai") == ["公海丙有限公司", "公海乙", "公海甲"]
    assert names(org.sales, "丁经理") == ["公海丙有限公司"]  # a contact's name, as before


def test_the_api_search_is_no_oracle_either(org, book):
    api = api_client_for(org.sales)
    found = api.get("/api/v1/customers", {"q": "6666"}).json()
    assert found["items"] == [] and found["count"] == 0
    whole = api.get("/api/v1/customers", {"q": "13855556666"}).json()
    assert [c["name"] for c in whole["items"]] == ["公海甲"]
    assert whole["items"][0]["phones"] == []  # found, but the number stays hidden


def test_migration_moves_the_contact_tokens_written_before(org):
    """E-mails and WeChat ids were indexed as words ("w"): the migration makes them
    contact tokens ("e") and keeps the words of names."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from kehu.customers.models import SearchToken

    migration = importlib.import_module("kehu.customers.migrations.0011_search_contact_tokens")
    customer = make_customer(
        None, name="Minewx 公司", actor=org.admin, email="a.b@c.cn", wechat_id="minewx"
    )
    company = make_customer(None, name="旧公司", kind="company", actor=org.admin)
    contact_save(actor=org.admin, customer=company, data={"name": "钱", "email": "q@x.cn"})
    # As indexed before: the same values as words.
    for token in SearchToken.objects.filter(token__startswith="e"):
        SearchToken.objects.filter(token=token.token, customer=token.customer).delete()
        SearchToken.objects.get_or_create(token="w" + token.token[1:], customer=token.customer)
    assert names(org.sales, "a.b@c.cn") == []

    migration.move_contact_tokens(apps, SimpleNamespace(connection=connection))

    def tokens(c):
        found = SearchToken.objects.filter(customer=c).values_list("token", flat=True)
        return {t for t in found if t[0] in "we"}

    assert tokens(customer) == {"wminewx", "ea.b@c.cn", "eminewx"}  # the name's word stays
    assert tokens(company) == {"eq@x.cn"}
    assert names(org.sales, "a.b@c.cn") == ["Minewx 公司"]
    assert names(org.sales, "a.b") == []
    migration.move_back(apps, SimpleNamespace(connection=connection))
    assert tokens(customer) == {"wminewx", "wa.b@c.cn"}
