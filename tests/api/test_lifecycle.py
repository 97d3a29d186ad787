"""/api/v1 lifecycle: models, a customer's stages, manual moves — and the refusals."""

from __future__ import annotations

import pytest

from kehu.lifecycle.models import CustomerStage, StageChange
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(org):
    return make_customer(org.sales, name="甲")


def test_models(org, as_user):
    models = as_user(org.analyst).get("/api/v1/lifecycle/models").json()
    six = next(m for m in models if m["key"] == "six_phase")
    assert six["is_default"] and [s["name"] for s in six["stages"]][:2] == ["识别", "获取"]
    assert six["rules"] and all("condition" in r for r in six["rules"])


def test_move_and_read(org, as_user, mine):
    api = as_user(org.sales)
    moved = api.post(
        f"/api/v1/customers/{mine.pk}/lifecycle/move",
        {"model": "six_phase", "stage": "维护", "reason": "老客户转介绍"},
    )
    assert moved.status_code == 201, moved.json()
    assert moved.json()["kind"] == "manual" and moved.json()["to_stage"]["key"] == "maintain"
    read = api.get(f"/api/v1/customers/{mine.pk}/lifecycle").json()
    six = next(r for r in read if r["model"] == "six_phase")
    assert six["stage"]["key"] == "maintain"
    assert six["history"][0]["reason"] == "老客户转介绍"
    assert six["history"][0]["actor"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"model": "nope", "stage": "维护", "reason": "x"}, 422, "unknown_model"),
        ({"model": "six_phase", "stage": "月球", "reason": "x"}, 422, "unknown_stage"),
        ({"model": "six_phase", "stage": "maintain", "reason": "  "}, 422, "invalid"),
        ({"model": "six_phase", "stage": "maintain"}, 422, "invalid"),
    ],
)
def test_bad_moves_change_nothing(org, as_user, mine, payload, status, code):
    before = StageChange.objects.count()
    response = as_user(org.sales).post(f"/api/v1/customers/{mine.pk}/lifecycle/move", payload)
    assert response.status_code == status and response.json()["code"] == code
    assert StageChange.objects.count() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("service", 403),
        ("analyst", 403),
        ("east_sales2", 404),
        ("west_sales", 404),
        ("west_manager", 404),
    ],
)
def test_move_refused_per_role(org, as_user, mine, role, status):
    user = org.east_sales2 if role == "east_sales2" else getattr(org, role)
    response = as_user(user).post(
        f"/api/v1/customers/{mine.pk}/lifecycle/move",
        {"model": "six_phase", "stage": "maintain", "reason": "试试"},
    )
    assert response.status_code == status
    assert not CustomerStage.objects.filter(customer=mine, stage__key="maintain").exists()


def test_read_hidden_customer_is_404(org, as_user, mine):
    assert as_user(org.west_sales).get(f"/api/v1/customers/{mine.pk}/lifecycle").status_code == 404
    assert as_user(org.manager).get(f"/api/v1/customers/{mine.pk}/lifecycle").status_code == 200
