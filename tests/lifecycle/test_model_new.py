"""A new lifecycle model, empty or a copy of a shipped one (stages and rules): the page,
the service and the API; admins only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Rule, Stage
from kehu.lifecycle.services import model_update
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_model_list_offers_new_and_copy(org):
    html = client_for(org.admin).get("/lifecycle/models/").content.decode()
    assert 'href="/lifecycle/models/new/"' in html
    assert 'href="/lifecycle/models/new/?copy=six_phase"' in html


def test_copy_a_shipped_model_then_switch_it_on(org):
    admin = client_for(org.admin)
    form = admin.get("/lifecycle/models/new/?copy=six_phase")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="six_phase_copy"' in html and "六阶段客户管理（副本）" in html
    response = admin.post(
        "/lifecycle/models/new/",
        {"copy_from": "six_phase", "key": "six_phase_b2b", "name": "六阶段（企业客户）"},
    )
    assert (
        response.status_code == 302 and response["Location"] == "/lifecycle/models/six_phase_b2b/"
    )
    copy = LifecycleModel.objects.get(key="six_phase_b2b")
    source = LifecycleModel.objects.get(key="six_phase")
    assert not copy.is_active and not copy.is_default and copy.position > source.position

    def shape(model):
        stages = list(Stage.objects.filter(model=model).values_list("key", "name", "kind"))
        rules = list(
            Rule.objects.filter(model=model)
            .order_by("priority", "pk")
            .values_list("name", "from_stages", "to_stage__key", "condition", "is_active")
        )
        return stages, rules

    assert shape(copy) == shape(source)
    assert all(rule.to_stage.model_id == copy.pk for rule in Rule.objects.filter(model=copy))
    page = admin.get("/lifecycle/models/six_phase_b2b/").content.decode()
    assert "识别" in page and "长期未购买：退出" in page
    # Editing the copy leaves the shipped model alone.
    Stage.objects.filter(model=copy, key="exit").update(name="流失")
    assert Stage.objects.get(model=source, key="exit").name == "退出"
    customer = make_customer(org.sales, name="甲")
    model_update(actor=org.admin, model=copy, data={"is_active": True}, version=copy.version)
    lifecycle_evaluate([customer.pk], now=timezone.now())
    assert CustomerStage.objects.get(customer=customer, model=copy).stage.key == "identify"


def test_an_empty_model_and_the_refusals(org):
    admin = client_for(org.admin)
    blank = admin.post("/lifecycle/models/new/", {"key": "mine", "name": "我的模型"})
    assert blank.status_code == 302
    assert not Stage.objects.filter(model__key="mine").exists()
    taken = admin.post("/lifecycle/models/new/", {"key": "six_phase", "name": "重名"})
    assert taken.status_code == 422
    reserved = admin.post("/lifecycle/models/new/", {"key": "new", "name": "新"})
    assert reserved.status_code == 422 and "保留" in reserved.content.decode()
    unnamed = admin.post("/lifecycle/models/new/", {"key": "x", "name": ""})
    assert unnamed.status_code == 422
    assert LifecycleModel.objects.count() == 5


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_create_models(org, role):
    client = client_for(getattr(org, role))
    assert client.get("/lifecycle/models/new/").status_code == 403
    response = client.post("/lifecycle/models/new/", {"key": "x", "name": "x"})
    assert response.status_code == 403
    assert not LifecycleModel.objects.filter(key="x").exists()


def test_create_through_the_api(org):
    api = api_client_for(org.admin)
    created = api.post(
        "/api/v1/lifecycle/models",
        {"key": "rel_copy", "name": "关系阶段副本", "copy_from": "relationship"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["is_active"] is False and len(body["stages"]) == 4 and body["rules"]
    assert api.post("/api/v1/lifecycle/models", {"key": "rel_copy", "name": "x"}).status_code == 422
    unknown = api.post("/api/v1/lifecycle/models", {"key": "y", "name": "y", "copy_from": "nope"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_model"
    refused = api_client_for(org.manager).post(
        "/api/v1/lifecycle/models", {"key": "z", "name": "z"}
    )
    assert refused.status_code == 403
