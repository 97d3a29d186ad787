"""GET /api/v1/care/agenda: due customers and reasons, visible only, paginated."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.care.models import RuleKind
from kehu.care.services import agenda_build
from tests.care.factories import rule
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/api/v1/care/agenda"


@pytest.fixture
def due(org):
    rule(RuleKind.BIRTHDAY)
    rule(RuleKind.FESTIVAL, name="节日")
    east = make_customer(
        org.sales, name="东", birthday=dt.date(1990, 10, 3), birthday_is_lunar=True
    )
    west = make_customer(org.west_sales, name="西", birthday=dt.date(1985, 9, 25))
    return east, west


def test_preview_lists_reasons_for_visible_customers(org, due, as_user) -> None:
    east, west = due
    body = as_user(org.sales).get(URL, {"date": "2026-09-25"}).json()
    assert body["stored"] is False and body["date"] == "2026-09-25"
    reasons = {(i["customer_id"], i["reason"]) for i in body["items"]}
    assert reasons == {(east.pk, "lunar_birthday"), (east.pk, "festival")}
    admin = as_user(org.admin).get(URL, {"date": "2026-09-25"}).json()
    assert {(i["customer_id"], i["reason"]) for i in admin["items"]} >= {(west.pk, "birthday")}


def test_stored_day_with_pagination_and_filter(org, due, as_user) -> None:
    agenda_build(day=dt.date(2026, 9, 25))
    client = as_user(org.admin)
    first = client.get(URL, {"date": "2026-09-25", "page_size": 2}).json()
    assert first["stored"] is True and first["count"] == 4 and first["num_pages"] == 2
    birthdays = client.get(URL, {"date": "2026-09-25", "reason": "birthday"}).json()
    assert [i["customer_name"] for i in birthdays["items"]] == ["西"]
    assert client.get(URL, {"date": "2026-09-25", "page": 9}).json()["code"] == "page_out_of_range"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-13-01", "invalid_date"),
        ("tomorrow", "invalid_date"),
        ("1990-01-01", "date_out_of_range"),
    ],
)
def test_bad_date(org, as_user, value, code) -> None:
    response = as_user(org.sales).get(URL, {"date": value})
    assert response.status_code == 422 and response.json()["code"] == code


def test_bad_reason_and_unauthenticated(org, as_user, client) -> None:
    assert as_user(org.sales).get(URL, {"reason": "nope"}).status_code == 422
    assert client.get(URL).status_code == 401


def test_analyst_and_service_see_all_sales_own(org, due, as_user) -> None:
    east, west = due
    for role in ("analyst", "service"):
        items = as_user(getattr(org, role)).get(URL, {"date": "2026-09-25"}).json()["items"]
        assert {i["customer_id"] for i in items} == {east.pk, west.pk}
    items = as_user(org.west_sales).get(URL, {"date": "2026-09-25"}).json()["items"]
    assert {i["customer_id"] for i in items} == {west.pk}
