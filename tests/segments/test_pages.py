"""The segment pages: list, builder with its live preview, detail with sizes and members,
delete; refusals per role (404 for a segment not yours to see, 403 to change)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from kehu.accounts.models import User
from kehu.segments.models import Segment, SegmentSnapshot
from kehu.segments.services import segment_create
from tests.conftest import Org
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RULE = {"all": [{"fact": "city", "op": "is", "value": "佛山"}]}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_build_preview_save_and_read(org: Org) -> None:
    make_customer(org.sales, name="佛山甲", city="佛山")
    make_customer(org.west_sales, name="佛山乙", city="佛山")
    sales = client_for(org.sales)
    assert sales.get("/segments/").status_code == 200
    page = sales.get("/segments/new/")
    assert page.status_code == 200 and "builder-data" in page.content.decode()
    preview = sales.post("/segments/preview/", {"rule": json.dumps(RULE)})
    body = preview.content.decode()
    assert "1 位客户符合条件" in body and "佛山甲" in body and "佛山乙" not in body
    assert "城市为“佛山”" in body
    bad = sales.post("/segments/preview/", {"rule": '{"fact": "nope", "op": ">", "value": 1}'})
    assert "未知的事实" in bad.content.decode()
    saved = sales.post(
        "/segments/new/",
        {"name": "佛山", "sharing": "private", "kind": "rule", "rule": json.dumps(RULE)},
    )
    assert saved.status_code == 302
    segment = Segment.objects.get(name="佛山")
    SegmentSnapshot.objects.create(
        segment=segment, date=timezone.localdate(), size=1, at=timezone.now()
    )
    detail = sales.get(f"/segments/{segment.pk}/").content.decode()
    assert "chart-sizes" in detail and "佛山甲" in detail and "城市为“佛山”" in detail
    refused = sales.post(
        "/segments/new/", {"name": "坏", "sharing": "private", "kind": "rule", "rule": "{"}
    )
    assert refused.status_code == 422 and "有效的 JSON" in refused.content.decode()
    edited = sales.post(
        f"/segments/{segment.pk}/edit/",
        {"name": "佛山客户", "sharing": "team", "rule": json.dumps(RULE), "version": 1},
    )
    assert edited.status_code == 302
    stale = sales.post(
        f"/segments/{segment.pk}/edit/",
        {"name": "x", "sharing": "team", "rule": json.dumps(RULE), "version": 1},
    )
    assert stale.status_code == 422
    assert sales.post(f"/segments/{segment.pk}/delete/", {"version": 2}).status_code == 302
    assert sales.get(f"/segments/{segment.pk}/").status_code == 404


def test_refused_roles(org: Org) -> None:
    private = segment_create(actor=org.sales, data={"name": "私", "rule": RULE})
    team = segment_create(actor=org.sales, data={"name": "团队", "rule": RULE, "sharing": "team"})
    for user in (org.east_sales2, org.manager, org.west_sales, org.service, org.analyst):
        client = client_for(user)
        assert client.get(f"/segments/{private.pk}/").status_code == 404
        assert client.get(f"/segments/{private.pk}/edit/").status_code == 404
    for user in (org.west_sales, org.west_manager, org.analyst):
        assert client_for(user).get(f"/segments/{team.pk}/").status_code == 404
    for user in (org.east_sales2, org.manager, org.service):
        client = client_for(user)
        assert client.get(f"/segments/{team.pk}/").status_code == 200
        assert client.get(f"/segments/{team.pk}/edit/").status_code == 403
        assert client.post(f"/segments/{team.pk}/delete/", {"version": 1}).status_code == 403
    assert client_for(org.admin).get(f"/segments/{private.pk}/edit/").status_code == 200
    assert Client().get("/segments/").status_code == 302


def test_the_pages_read_in_english(org: Org) -> None:
    make_customer(org.sales, name="佛山甲", city="佛山")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    listed = client.get("/segments/").content.decode()
    assert "Segments" in listed and "重要价值客户" in listed  # a ready-made name is data
    assert "R score ≥ 3" in listed
    builder = client.get("/segments/new/").content.decode()
    assert "New segment" in builder and "Shared with" in builder
    preview = client.post("/segments/preview/", {"rule": json.dumps(RULE)}).content.decode()
    assert "1 customers match" in preview and "City is “佛山”" in preview
    bad = client.post(
        "/segments/preview/", {"rule": '{"fact": "tags", "op": "has", "value": "无"}'}
    )
    assert "does not exist or was deleted" in bad.content.decode()


def test_a_static_list_is_filled_from_its_page(org: Org) -> None:
    mine = make_customer(org.sales, name="名单客户甲")
    make_customer(org.west_sales, name="名单客户乙")
    lst = segment_create(actor=org.sales, data={"name": "名单", "kind": "static"})
    sales = client_for(org.sales)
    found = sales.get(f"/segments/{lst.pk}/members/search/", {"q": "名单客户"})
    body = found.content.decode()
    assert "名单客户甲" in body and "名单客户乙" not in body
    assert sales.post(f"/segments/{lst.pk}/members/add/", {"customer": mine.pk}).status_code == 302
    assert "名单客户甲" in sales.get(f"/segments/{lst.pk}/").content.decode()
    other = client_for(org.east_sales2)
    assert other.get(f"/segments/{lst.pk}/members/search/", {"q": "x"}).status_code == 404
    assert other.post(f"/segments/{lst.pk}/members/add/", {"customer": mine.pk}).status_code == 404
    assert sales.post(f"/segments/{lst.pk}/members/{mine.pk}/remove/").status_code == 302
