"""The pipeline pages through the Django client: the board and a drag, the list, the
forms, won and lost, the forecast, the card on the customer page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kehu.orders.models import Order
from kehu.pipeline.models import LossReason, Opportunity, Phase, PhaseChange, Status
from kehu.pipeline.services import opportunity_move
from tests.pipeline.conftest import make_opportunity

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_the_board_shows_the_columns_and_only_what_the_user_sees(client, org, deals):
    client.force_login(org.sales)
    page = client.get(reverse("pipeline:board")).content.decode()
    assert "兴趣需求收集" in page and "跟踪" in page
    assert f'id="opportunity-{deals["own"].pk}"' in page
    assert f'id="opportunity-{deals["other"].pk}"' not in page
    assert f'id="opportunity-{deals["west"].pk}"' not in page
    assert "pipeline-movable" in page and "Sortable.min.js" in page


def test_the_board_in_english(client, org, deals):
    client.force_login(org.sales)
    page = client.get(reverse("pipeline:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Interest and needs" in page and "Follow-through" in page


def test_the_board_filters_by_owner_and_team(client, org, deals):
    client.force_login(org.manager)
    page = client.get(reverse("pipeline:board"), {"owner": org.east_sales2.pk}).content.decode()
    assert f'id="opportunity-{deals["other"].pk}"' in page
    assert f'id="opportunity-{deals["own"].pk}"' not in page
    page = client.get(reverse("pipeline:board"), {"team": org.east.pk}, headers=HTMX)
    body = page.content.decode()
    assert "<nav" not in body and f'id="opportunity-{deals["own"].pk}"' in body


def test_the_boards_queries_do_not_grow_with_its_cards(
    client, org, book, tea, django_assert_max_num_queries
):
    for index in range(60):
        make_opportunity(org.sales, book["own"], name=f"单{index}", amount=Decimal(index))
    client.force_login(org.sales)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("pipeline:board"))
    assert response.content.decode().count("pipeline-card ") == 60


def test_a_drag_moves_the_card(client, org, deals, phases):
    client.force_login(org.sales)
    url = reverse("pipeline:move", args=[deals["own"].pk])
    response = client.post(url, {"phase": phases["selling"].pk}, headers=HTMX)
    assert response.status_code == 200
    assert f'id="opportunity-{deals["own"].pk}"' in response.content.decode()
    assert Opportunity.objects.get(pk=deals["own"].pk).phase == phases["selling"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("east_sales2", 404),
        ("west_manager", 404),
        ("west_sales", 404),
        ("analyst", 403),
        ("service", 403),
    ],
)
def test_a_drag_by_someone_who_may_not_change_it_is_refused(
    client, org, deals, phases, role, status
):
    client.force_login(getattr(org, role))
    before = PhaseChange.objects.count()
    url = reverse("pipeline:move", args=[deals["own"].pk])
    response = client.post(url, {"phase": phases["selling"].pk}, headers=HTMX)
    assert response.status_code == status
    deal = Opportunity.objects.get(pk=deals["own"].pk)
    assert deal.phase == phases["interest"] and deal.version == deals["own"].version
    assert PhaseChange.objects.count() == before


def test_a_drag_of_a_closed_opportunity_says_why(client, org, deals, phases):
    Opportunity.objects.filter(pk=deals["own"].pk).update(status=Status.LOST)
    client.force_login(org.sales)
    url = reverse("pipeline:move", args=[deals["own"].pk])
    response = client.post(url, {"phase": phases["selling"].pk}, headers=HTMX)
    assert response.status_code == 409 and "丢单" in response.content.decode()


def test_the_list_pages_and_filters(client, org, deals):
    client.force_login(org.manager)
    page = client.get(reverse("pipeline:list")).content.decode()
    assert deals["own"].name in page and deals["other"].name in page
    assert deals["west"].name not in page
    page = client.get(reverse("pipeline:list"), {"customer": deals["own"].customer_id})
    assert deals["other"].name not in page.content.decode()
    assert client.get(reverse("pipeline:list"), {"page": 9}).status_code == 404


def test_create_from_the_customer_page(client, org, book, tea):
    client.force_login(org.sales)
    customer_page = client.get(reverse("customers:detail", args=[book["own"].pk])).content
    assert b'id="opportunities"' in customer_page
    url = reverse("pipeline:create") + f"?customer={book['own'].pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "customer": book["own"].pk,
            "name": "茶园年度采购",
            "owner": org.sales.pk,
            "amount": "",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": tea.pk,
            "lines-0-quantity": "5",
        },
    )
    deal = Opportunity.objects.get(name="茶园年度采购")
    assert response.status_code == 302 and deal.amount == Decimal("500.00")


def test_create_for_someone_elses_customer_is_refused(client, org, book):
    client.force_login(org.sales)
    for key in ("other", "west"):  # a colleague's, another team's: not visible
        url = reverse("pipeline:create") + f"?customer={book[key].pk}"
        assert client.get(url).status_code == 404
    client.force_login(org.analyst)  # sees every customer, changes none
    url = reverse("pipeline:create") + f"?customer={book['own'].pk}"
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x", "owner": org.sales.pk}).status_code == 403
    assert not Opportunity.objects.exists()


def test_a_concurrent_edit_is_refused_with_a_message(client, org, deals):
    client.force_login(org.sales)
    url = reverse("pipeline:edit", args=[deals["own"].pk])
    form = {
        "name": "改名",
        "owner": org.sales.pk,
        "version": deals["own"].version,
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }
    assert client.post(url, form).status_code == 302
    response = client.post(url, {**form, "name": "再改"})
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    assert Opportunity.objects.get(pk=deals["own"].pk).name == "改名"


def test_won_records_the_order_and_shows_it(client, org, deals):
    client.force_login(org.sales)
    url = reverse("pipeline:win", args=[deals["own"].pk])
    response = client.post(url, {"version": deals["own"].version, "payment_status": "paid"})
    assert response.status_code == 302
    deal = Opportunity.objects.get(pk=deals["own"].pk)
    assert deal.status == Status.WON and Order.objects.filter(pk=deal.order_id).exists()
    page = client.get(reverse("pipeline:detail", args=[deal.pk])).content.decode()
    assert 'id="won-order"' in page


def test_won_without_products_or_amount_says_so(client, org, book):
    deal = make_opportunity(org.sales, book["own"])
    client.force_login(org.sales)
    url = reverse("pipeline:win", args=[deal.pk])
    response = client.post(url, {"version": deal.version, "payment_status": "paid"})
    assert response.status_code == 422 and "赢单需要产品或金额" in response.content.decode()
    assert not Order.objects.exists()


def test_a_drop_on_won_answers_the_won_card(client, org, deals):
    client.force_login(org.sales)
    board = client.get(reverse("pipeline:board")).content.decode()
    assert 'class="pipeline-cards pipeline-won"' in board and 'id="win-dialog"' in board
    assert f'data-version="{deals["own"].version}"' in board
    url = reverse("pipeline:win", args=[deals["own"].pk])
    data = {"version": deals["own"].version, "payment_status": "paid"}
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    deal = Opportunity.objects.get(pk=deals["own"].pk)
    assert deal.status == Status.WON
    html = response.content.decode()
    assert f'id="opportunity-{deal.pk}"' in html and "pipeline-movable" not in html
    assert reverse("orders:detail", args=[deal.order_id]) in html


def test_a_drop_on_won_refused_says_why_in_words_and_changes_nothing(client, org, book, deals):
    bare = make_opportunity(org.sales, book["own"])
    client.force_login(org.sales)
    url = reverse("pipeline:win", args=[bare.pk])
    response = client.post(url, {"version": bare.version, "payment_status": "paid"}, headers=HTMX)
    assert response.status_code == 422 and response["Content-Type"].startswith("text/plain")
    assert "赢单需要产品或金额" in response.content.decode()
    stale = {"version": deals["own"].version - 1 or 99, "payment_status": "paid"}
    url = reverse("pipeline:win", args=[deals["own"].pk])
    response = client.post(url, stale, headers=HTMX)
    assert response.status_code == 409 and response["Content-Type"].startswith("text/plain")
    assert not Order.objects.exists()
    assert not Opportunity.objects.filter(status=Status.WON).exists()


def test_lost_needs_a_reason(client, org, deals):
    client.force_login(org.sales)
    url = reverse("pipeline:lose", args=[deals["own"].pk])
    assert client.post(url, {"version": deals["own"].version}).status_code == 422
    reason = LossReason.objects.first()
    response = client.post(url, {"version": deals["own"].version, "loss_reason": reason.pk})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=deals["own"].pk).status == Status.LOST


@pytest.mark.parametrize("role", ["east_sales2", "west_manager", "analyst"])
def test_detail_actions_are_refused_per_role(client, org, deals, role):
    client.force_login(getattr(org, role))
    pk = deals["own"].pk
    for name in ("pipeline:win", "pipeline:lose", "pipeline:delete"):
        assert client.post(reverse(name, args=[pk]), {"version": 1}).status_code in (403, 404)
    assert client.get(reverse("pipeline:edit", args=[pk])).status_code in (403, 404)
    assert Opportunity.objects.get(pk=pk).status == Status.OPEN


def test_the_forecast_weighs_by_probability(client, org, deals):
    client.force_login(org.admin)
    page = client.get(reverse("pipeline:forecast")).content.decode()
    # 300 × 10 % + 500 × 10 % + 800 × 10 %
    assert "¥160.00" in page and 'id="chart-forecast"' in page and "table-owners" in page


CJK = re.compile(r"[\u4e00-\u9fff]+")


def test_every_page_reads_in_english(org, deals, tea):
    """No Chinese left on the pipeline's pages in English, but the user's data (names of
    customers, opportunities, teams, products) and the language menu's own name."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.sales)
    client.cookies["django_language"] = "en"
    opportunity_move(
        actor=org.sales, opportunity=deals["own"], phase=Phase.objects.get(key="solution")
    )
    data = {"东一", "项目", "华东", "龙井", "中文", "简体中文", "客户"}  # 客户: the brand
    pk = deals["own"].pk
    for url in (
        reverse("pipeline:board"),
        reverse("pipeline:list"),
        reverse("pipeline:detail", args=[pk]),
        reverse("pipeline:edit", args=[pk]),
        reverse("pipeline:forecast"),
        reverse("pipeline:create") + f"?customer={deals['own'].customer_id}",
        reverse("customers:detail", args=[deals["own"].customer_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if url.startswith("/customers/"):
            card = body[body.index('id="opportunities"') :]
            body = card[: card.index('class="kehu-card')]  # up to the next card
        left = {word for word in CJK.findall(body) if word not in data}
        assert not left, (url, left)


def test_the_lists_queries_do_not_grow_with_its_rows(
    client, org, book, django_assert_max_num_queries
):
    for index in range(30):
        make_opportunity(org.sales, book["own"], name=f"单{index}", amount=Decimal(index))
    client.force_login(org.sales)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("pipeline:list"))
    assert response.content.decode().count('class="fw-semibold"') == 25  # a page


def test_the_customer_card_lists_only_what_the_user_sees(client, org, book, deals):
    client.force_login(org.manager)  # sees the east team's, on a customer of theirs
    page = client.get(reverse("customers:detail", args=[book["own"].pk])).content.decode()
    assert deals["own"].name in page and 'id="opportunities"' in page


def test_create_without_a_customer_points_to_the_customer_pages(client, org):
    client.force_login(org.sales)
    response = client.get(reverse("pipeline:create"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:list")
    assert "在“商机”卡片中新建商机" in response.content.decode()
    assert client.get(reverse("pipeline:create") + "?customer=abc").status_code == 404
