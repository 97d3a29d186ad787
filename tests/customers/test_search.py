"""One box finds customers by name, pinyin, phone, e-mail, company and contact."""

from __future__ import annotations

import pytest

from kehu.customers.pinyin import pinyin_readings
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.services import contact_save, customer_update
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def names(user, q):
    return [c.name for c in customer_list(user, CustomerFilters(q=q)).items]


@pytest.fixture
def people(org):
    make_customer(org.sales, name="张三", phones=("13812345678",), email="zs@example.com")
    make_customer(org.sales, name="张三丰", phones=("13900005678",))
    make_customer(org.sales, name="曾小贤")
    make_customer(org.sales, name="单田芳")
    company = make_customer(
        org.sales, name="上海星辰科技有限公司", kind="company", phones=("021-62345678",)
    )
    contact_save(actor=org.sales, customer=company, data={"name": "仇海", "email": "qh@xc.cn"})
    make_customer(org.west_sales, name="张三", phones=("13700001111",))  # not visible to sales
    return org


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张三", ["张三丰", "张三"]),
        ("三丰", ["张三丰"]),
        ("张", ["张三丰", "张三"]),
        ("zs", ["张三丰", "张三"]),
        ("zhangsan", ["张三丰", "张三"]),
        ("zhangs", ["张三丰", "张三"]),
        ("zhang san", ["张三丰", "张三"]),
        ("ZSF", ["张三丰"]),
        ("zengxiaoxian", ["曾小贤"]),  # 曾 as a surname
        ("zxx", ["曾小贤"]),
        ("shantianfang", ["单田芳"]),  # 单 as a surname
        ("qiuhai", ["上海星辰科技有限公司"]),  # 仇, a contact's name
        ("仇海", ["上海星辰科技有限公司"]),
        ("星辰科技", ["上海星辰科技有限公司"]),
        ("xingchen", ["上海星辰科技有限公司"]),
        ("5678", ["上海星辰科技有限公司", "张三丰", "张三"]),
        ("13812345678", ["张三"]),
        ("+86 138-1234-5678", ["张三"]),
        ("zs@example.com", ["张三"]),
        ("qh@xc", ["上海星辰科技有限公司"]),
        ("李四", []),
        ("", ["上海星辰科技有限公司", "单田芳", "曾小贤", "张三丰", "张三"]),
    ],
)
def test_search(people, query, expected):
    assert names(people.sales, query) == expected


def test_search_respects_visibility(people):
    assert len(names(people.admin, "张三")) == 3
    assert names(people.west_sales, "zhangsan") == ["张三"]


def test_index_follows_edits(people):
    customer = customer_list(people.sales, CustomerFilters(q="zxx")).items[0]
    customer_update(
        actor=people.sales, customer=customer, version=customer.version, data={"name": "曾大贤"}
    )
    assert names(people.sales, "zxx") == []
    assert names(people.sales, "zdx") == ["曾大贤"]


def test_polyphonic_surnames_keep_both_readings():
    assert pinyin_readings("曾小贤", person=True) == [
        ["zeng", "xiao", "xian"],
        ["ceng", "xiao", "xian"],
    ]
    assert pinyin_readings("欧阳娜娜", person=True)[0] == ["ou", "yang", "na", "na"]
    assert pinyin_readings("张三", person=True) == [["zhang", "san"]]


def test_broad_search_count_is_capped(people, settings):
    settings.KEHU_SEARCH_COUNT_CAP = 2
    page = customer_list(people.sales, CustomerFilters(q="5678"))
    assert page.count == 2 and page.count_is_capped


def test_token_column_compares_bytewise(db):
    """Prefix ranges need bytewise order: '@' and '.' must not be ignored."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'customers_searchtoken' AND column_name = 'token'"
            )
            assert cursor.fetchone()[0] == "C"
        else:
            cursor.execute("SELECT 'w@' < 'wa', 'wzs.' < 'wzs@'")
            assert cursor.fetchone() == (1, 1)


@pytest.mark.parametrize("query", ["zs", "zhangs", "z", "xc", "1111", "5678", "zs@example.com"])
def test_broad_plan_finds_the_same_as_the_index_plan(people, monkeypatch, query):
    """A broad prefix walks customers newest first; it must agree with the token plan."""
    from kehu.customers import search

    for user in (people.sales, people.admin):
        expected = names(user, query)
        monkeypatch.setattr(search, "BROAD_PREFIX_ROWS", 0)
        monkeypatch.setattr(search, "BROAD_PREFIX_ROWS_SCOPED", 0)
        assert names(user, query) == expected
        monkeypatch.undo()


def test_list_counts_are_capped(people, settings):
    settings.KEHU_LIST_COUNT_CAP = 2
    page = customer_list(people.admin, CustomerFilters())
    assert page.count == 2 and page.count_is_capped
    settings.KEHU_LIST_COUNT_CAP = 100
    page = customer_list(people.admin, CustomerFilters())
    assert page.count == 6 and not page.count_is_capped


def test_edge_tokens_are_derived_for_customers_indexed_before(people):
    """The migration adds the initials' edge tokens to an older index."""
    from django.db import connection

    from kehu.customers.models import SearchToken

    SearchToken.objects.filter(token__startswith="j").delete()
    assert names(people.sales, "zs") == ["张三"]  # only by e-mail: the edge tokens are gone
    module = __import__(
        "kehu.customers.migrations.0008_search_edge_tokens", fromlist=["edge_tokens_derive"]
    )
    module.edge_tokens_derive(connection, SearchToken._meta.db_table)
    assert names(people.sales, "zs") == ["张三丰", "张三"]
