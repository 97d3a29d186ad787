"""Complaint pages per role: the queue, the detail with its workflow (htmx), the new
complaint form from the customer page, incidents — and the refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.complaints.models import Complaint, Status
from kehu.complaints.services import complaint_update, incident_create
from tests.complaints.factories import ago, make_complaint, move

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def complaints(org, book):
    made = {
        key: make_complaint(org.service, customer, description=f"投诉-{key}")
        for key, customer in book.items()
    }
    made["late"] = make_complaint(
        org.service,
        book["own"],
        description="投诉-late",
        severity="critical",
        received_at=ago(hours=2),
    )
    return made


def test_anonymous_is_sent_to_login(client, complaints):
    for url in (
        reverse("complaints:queue"),
        reverse("complaints:detail", args=[complaints["own"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("service", {"own", "other", "west", "pool", "late"}),
        ("admin", {"own", "other", "west", "pool", "late"}),
        ("analyst", {"own", "other", "west", "pool", "late"}),
        ("manager", {"own", "other", "pool", "late"}),
        ("sales", {"own", "late"}),
        ("west_sales", {"west"}),
    ],
)
def test_queue_shows_only_visible_complaints(client, org, complaints, role, seen):
    html = login(client, getattr(org, role)).get(reverse("complaints:queue")).content.decode()
    shown = {key for key in complaints if f"投诉-{key}<" in html or f"投诉-{key} " in html}
    assert shown == seen


def test_queue_sorts_by_deadline_and_filters(client, org, complaints):
    client = login(client, org.service)
    url = reverse("complaints:queue")
    html = client.get(url).content.decode()
    assert html.index("投诉-late") < html.index("投诉-own")  # overdue first
    assert "已超时" in html
    html = client.get(url, {"overdue": "on"}).content.decode()
    assert "投诉-late" in html and "投诉-own" not in html
    html = client.get(url, {"severity": "critical"}).content.decode()
    assert "投诉-late" in html and "投诉-west" not in html
    move(org.service, complaints["west"], Status.CLOSED, close_reason="重复")
    html = client.get(url).content.decode()
    assert "投诉-west" not in html  # the queue shows open complaints by default
    html = client.get(url, {"status": "closed"}).content.decode()
    assert "投诉-west" in html and "投诉-own" not in html
    complaint_update(
        actor=org.admin,
        complaint=complaints["pool"],
        version=complaints["pool"].version,
        data={"handler_id": org.manager.pk},
    )
    html = login(client, org.manager).get(url, {"mine": "on"}).content.decode()
    assert "投诉-pool" in html and "投诉-own" not in html


def test_bad_filters_and_pages(client, org, complaints):
    client = login(client, org.service)
    url = reverse("complaints:queue")
    response = client.get(url, {"status": "nope", "severity": "huge", "page": "x"})
    assert response.status_code == 200 and "投诉-own" in response.content.decode()
    assert client.get(url, {"page": "99"}).status_code == 404


def test_queue_htmx_partial_and_bounded_queries(client, org, book, django_assert_max_num_queries):
    for n in range(30):
        make_complaint(org.service, book["own"], description=f"批量-{n}")
    client = login(client, org.service)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("complaints:queue"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "批量-" in html
    assert "下一页" in html


def test_detail_per_role(client, org, complaints):
    url = reverse("complaints:detail", args=[complaints["own"].pk])
    html = login(client, org.service).get(url).content.decode()
    assert "投诉-own" in html and "开始处理" not in html and "登记" in html
    assert 'name="status" value="recorded"' in html
    html = login(client, org.analyst).get(url).content.decode()
    assert "投诉-own" in html and 'name="status"' not in html  # read-only
    html = login(client, org.sales).get(url).content.decode()
    assert 'name="status"' not in html
    assert login(client, org.west_sales).get(url).status_code == 404
    assert login(client, org.west_manager).get(url).status_code == 404
    assert (
        login(client, org.sales).get(reverse("complaints:detail", args=[10**9])).status_code == 404
    )


def test_transition_refusals(client, org, complaints):
    complaint = complaints["own"]
    url = reverse("complaints:transition", args=[complaint.pk])
    body = {"status": "recorded", "version": complaint.version}
    assert login(client, org.analyst).post(url, body).status_code == 403
    assert login(client, org.sales).post(url, body).status_code == 403
    assert login(client, org.west_manager).post(url, body).status_code == 404
    assert login(client, org.service).get(url).status_code == 405
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED and complaint.version == body["version"]


def test_transition_by_form_and_by_htmx(client, org, complaints):
    complaint = complaints["own"]
    url = reverse("complaints:transition", args=[complaint.pk])
    client = login(client, org.manager)
    response = client.post(url, {"status": "recorded", "version": complaint.version})
    assert response.status_code == 302
    complaint.refresh_from_db()
    response = client.post(
        url,
        {"status": "handling", "version": complaint.version, "note": "已致电客户"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="workflow"' in html
    assert "处理中" in html and "已致电客户" in html
    complaint.refresh_from_db()
    assert complaint.status == Status.HANDLING and complaint.handler == org.service


def test_stale_form_is_a_clear_conflict_and_keeps_the_text(client, org, complaints):
    complaint = move(org.service, complaints["own"], Status.RECORDED)
    complaint = move(org.service, complaint, Status.HANDLING)
    stale = complaint.version
    move(org.manager, complaint, Status.CLOSED, close_reason="客户撤回")
    response = login(client, org.service).post(
        reverse("complaints:transition", args=[complaint.pk]),
        {"status": "feedback", "version": stale, "feedback": "我们将全额退款"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "已被他人修改" in html and "我们将全额退款" in html
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.feedback == ""


def test_closing_without_a_reason_shows_the_error(client, org, complaints):
    complaint = complaints["own"]
    response = login(client, org.service).post(
        reverse("complaints:transition", args=[complaint.pk]),
        {"status": "closed", "version": complaint.version, "note": "关了"},
    )
    assert response.status_code == 422
    assert "关闭投诉须填写关闭原因" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED


def test_illegal_move_by_form_is_409(client, org, complaints):
    complaint = complaints["own"]
    response = login(client, org.service).post(
        reverse("complaints:transition", args=[complaint.pk]),
        {"status": "feedback", "version": complaint.version, "feedback": "x"},
    )
    assert response.status_code == 409 and "不能改为" in response.content.decode()


def test_edit_form(client, org, complaints):
    complaint = complaints["own"]
    url = reverse("complaints:update", args=[complaint.pk])
    body = {
        "version": complaint.version,
        "channel": "wechat",
        "category": "quality",
        "severity": "high",
        "description": "投诉-own 已核实",
        "handler": org.manager.pk,
    }
    assert login(client, org.sales).post(url, body).status_code == 403
    assert login(client, org.manager).post(url, body).status_code == 302
    complaint.refresh_from_db()
    assert complaint.severity == "high" and complaint.handler == org.manager
    response = client.post(url, {**body, "severity": "huge"})
    assert response.status_code == 422
    response = client.post(url, {**body, "description": "再改"})  # stale version
    assert response.status_code == 409 and "已被他人修改" in response.content.decode()


def test_new_complaint_from_the_customer_page(client, org, book):
    customer = book["own"]
    page = login(client, org.sales).get(reverse("customers:detail", args=[customer.pk]))
    new_url = reverse("complaints:create", args=[customer.pk])
    assert new_url in page.content.decode()
    assert client.get(new_url).status_code == 200
    response = client.post(
        new_url,
        {"channel": "store", "category": "quality", "severity": "high", "description": "门店投诉"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/complaints/{complaint.pk}/"
    )
    assert complaint.created_by == org.sales and complaint.channel == "store"
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "门店投诉" in html  # the card lists the open complaint


def test_new_complaint_bad_input_and_refusals(client, org, book):
    client = login(client, org.sales)
    url = reverse("complaints:create", args=[book["own"].pk])
    response = client.post(url, {"channel": "fax", "severity": "huge", "description": ""})
    assert response.status_code == 422 and not Complaint.objects.exists()
    assert client.get(reverse("complaints:create", args=[book["other"].pk])).status_code == 404
    assert client.get(reverse("complaints:create", args=[book["pool"].pk])).status_code == 403
    assert login(client, org.analyst).get(url).status_code == 403
    assert (
        login(client, org.service)
        .get(reverse("complaints:create", args=[book["west"].pk]))
        .status_code
        == 200
    )


def test_customer_card_per_role(client, org, book, complaints):
    url = reverse("customers:detail", args=[book["pool"].pk])
    html = login(client, org.analyst).get(url).content.decode()
    assert "投诉-pool" in html and reverse("complaints:create", args=[book["pool"].pk]) not in html
    html = login(client, org.sales).get(url).content.decode()
    assert "投诉-pool" not in html  # a pool customer: sales see the customer, not its complaints


def test_incident_pages(client, org, book, complaints):
    incident = incident_create(actor=org.service, data={"title": "批次A受潮", "cause": "仓库漏水"})
    for key in ("own", "west"):
        c = complaints[key]
        complaint_update(
            actor=org.service, complaint=c, version=c.version, data={"incident_id": incident.pk}
        )
    html = login(client, org.manager).get(reverse("complaints:incidents")).content.decode()
    assert "批次A受潮" in html and reverse("complaints:incident_create") not in html
    html = client.get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert "东一" in html and "西一" not in html  # only complaints the reader may see
    assert reverse("complaints:incident_update", args=[incident.pk]) not in html
    status_url = reverse("complaints:incident_status", args=[incident.pk])
    assert client.post(status_url, {"status": "resolved", "version": 1}).status_code == 403
    client = login(client, org.service)
    html = client.get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert "东一" in html and "西一" in html
    assert reverse("complaints:incident_update", args=[incident.pk]) in html
    assert client.post(status_url, {"status": "monitoring", "version": 1}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    stale = client.post(status_url, {"status": "resolved", "version": 1})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert client.post(status_url, {"status": "gone", "version": 2}).status_code == 422


def test_incident_create_form(client, org):
    url = reverse("complaints:incident_create")
    assert login(client, org.manager).get(url).status_code == 403
    client = login(client, org.service)
    assert client.post(url, {"title": ""}).status_code == 422
    response = client.post(url, {"title": "系统宕机", "cause": "机房断电"})
    assert response.status_code == 302
