"""Every registered list exports, honours its page's filters and its access rule;
the list pages carry an export button with their filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.exports.lists import export_lists
from kehu.exports.services import export_plan
from kehu.interactions.services import interaction_log
from kehu.orders.services import OrderData, order_upsert
from tests.exports.conftest import body, client_for, csv_rows, xlsx_rows
from tests.factories import make_customer


def _rows(user, key, params=None, columns=None):
    plan = export_plan(actor=user, list_key=key, params=params or {}, columns=columns)
    return [plan.header, *plan.rows()]


def _order(actor, customer, external_id, channel="store"):
    return order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=external_id,
            ordered_at=timezone.now(),
            customer_id=customer.pk,
            total=Decimal("99.50"),
            channel=channel,
        ),
    )[0]


def test_every_list_is_registered_in_menu_order():
    assert [e.key for e in export_lists()] == [
        "customers",
        "orders",
        "interactions",
        "tasks",
        "complaints",
        "survey-answers",
        "care",
        "at-risk",
        "stage-history",
        "winback",
    ]


@pytest.mark.parametrize("key", [e.key for e in export_lists()])
def test_every_list_exports_for_an_admin_in_both_formats(org, key):
    make_customer(org.sales, name="甲")
    for file_format in ("csv", "xlsx"):
        response = client_for(org.admin).post(
            reverse("exports:form", args=[key]), {"format": file_format}
        )
        assert response.status_code == 200
        rows = csv_rows(body(response)) if file_format == "csv" else xlsx_rows(body(response))
        assert rows[0]  # the header, in Chinese


def test_orders_are_scoped_and_filtered(org):
    own = make_customer(org.sales, name="甲")
    other = make_customer(org.west_sales, name="乙")
    _order(org.admin, own, "A-1", channel="store")
    _order(org.admin, own, "A-2", channel="online_shop")
    _order(org.admin, other, "B-1")
    rows = _rows(org.sales, "orders", columns=["external_id", "customer", "total"])
    assert sorted(r[0] for r in rows[1:]) == ["A-1", "A-2"]
    assert rows[1][2] == Decimal("99.50")
    rows = _rows(org.admin, "orders", {"channel": "online_shop"}, ["external_id"])
    assert rows[1:] == [["A-2"]]


def test_interactions_are_scoped_and_mask_nothing_but_follow_the_customer(org):
    own = make_customer(org.sales, name="甲")
    other = make_customer(org.west_sales, name="乙")
    for customer, user in ((own, org.sales), (other, org.west_sales)):
        interaction_log(
            actor=user,
            customer=customer,
            data={
                "kind": "call",
                "occurred_at": timezone.now() - dt.timedelta(hours=1),
                "notes": "聊了聊",
            },
        )
    rows = _rows(org.sales, "interactions", columns=["customer", "notes"])
    assert rows[1:] == [["甲", "聊了聊"]]
    assert len(_rows(org.admin, "interactions")) == 3


def test_refused_roles_get_403_on_the_page_of_a_list_they_cannot_see(org):
    # The at-risk list is not the service team's; survey answers are for reports.
    assert client_for(org.service).get(reverse("exports:form", args=["at-risk"])).status_code == 403
    assert (
        client_for(org.sales).get(reverse("exports:form", args=["survey-answers"])).status_code
        == 403
    )
    assert client_for(org.sales).get(reverse("exports:form", args=["nothing"])).status_code == 404


@pytest.mark.parametrize(
    ("page", "key"),
    [
        ("/orders/?channel=online_shop", "orders"),
        ("/work/", "tasks"),
        ("/complaints/?severity=high", "complaints"),
        ("/care/", "care"),
    ],
)
def test_list_pages_carry_a_button_with_their_filters(org, page, key):
    html = client_for(org.manager).get(page).content.decode()
    assert f'id="export-{key}"' in html
    if "?" in page:
        query = page.split("?", 1)[1]
        assert f"/exports/{key}/?{query}" in html


def test_pages_whose_filter_is_in_their_address_carry_it(org):
    """The survey report, a lifecycle model and a customer's timeline export their own
    answers, stage changes and touches."""
    from tests.surveys.factories import make_survey

    survey = make_survey(org.admin)
    customer = make_customer(org.sales, name="王小明")
    admin = client_for(org.admin)
    html = admin.get(reverse("surveys:report", args=[survey.pk])).content.decode()
    assert f"/exports/survey-answers/?survey={survey.pk}" in html
    html = admin.get(reverse("lifecycle:model", args=["six_phase"])).content.decode()
    assert "/exports/stage-history/?model=six_phase" in html
    html = client_for(org.sales).get(reverse("customers:detail", args=[customer.pk])).content
    assert f"/exports/interactions/?customer={customer.pk}" in html.decode()
    # A salesperson may not export survey answers: no button.
    html = client_for(org.sales).get(reverse("surveys:report", args=[survey.pk])).content
    assert 'id="export-survey-answers"' not in html.decode()
