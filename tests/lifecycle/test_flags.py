"""Manual flags (人工标记): create, edit, retire and bring back (admins), set and clear on
a customer, the rules that read them; pages, services and the API, and who is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from kehu.core.errors import ConflictError
from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.flags import flag_create, flag_update, flags_overview
from kehu.lifecycle.models import CustomerFlag, CustomerStage, Flag, LifecycleModel, Rule, Stage
from kehu.lifecycle.services import flag_set
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mine(org):
    return make_customer(org.sales, name="甲")


# --- services ---------------------------------------------------------------------------------


def test_create_checks_key_colour_and_name(org):
    flag = flag_create(actor=org.admin, key="vip_event", name="参加过活动", color="#198754")
    assert flag.updated_by == org.admin and flag.version == 1
    with pytest.raises(ValidationError) as refused:
        flag_create(actor=org.admin, key="vip_event", name="另一个")
    assert "key" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        flag_create(actor=org.admin, key="other", name="参加过活动")
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        flag_create(actor=org.admin, key="bad key", name="x", color="red")
    assert {"key", "color"} <= set(refused.value.message_dict)
    with pytest.raises(PermissionDenied):
        flag_create(actor=org.manager, key="mgr", name="经理的")


def test_update_is_versioned(org):
    flag = Flag.objects.get(key="key_account")
    saved = flag_update(actor=org.admin, flag=flag, data={"name": "核心客户"}, version=1)
    assert saved.name == "核心客户" and saved.version == 2
    with pytest.raises(ConflictError):
        flag_update(actor=org.admin, flag=flag, data={"name": "旧的"}, version=1)
    assert Flag.objects.get(pk=flag.pk).name == "核心客户"


def test_a_retired_flag_cannot_be_set_but_is_kept_and_can_be_cleared(org, mine):
    flag = Flag.objects.get(key="key_account")
    flag_set(actor=org.sales, customer=mine, flag=flag, on=True)
    flag_update(actor=org.admin, flag=flag, data={"retired": True}, version=flag.version)
    flag.refresh_from_db()
    other = make_customer(org.sales, name="乙")
    with pytest.raises(ValidationError):
        flag_set(actor=org.sales, customer=other, flag=flag, on=True)
    assert CustomerFlag.objects.filter(customer=mine, flag=flag).exists()
    assert flag_set(actor=org.sales, customer=mine, flag=flag, on=False)
    flag_update(actor=org.admin, flag=flag, data={"retired": False}, version=flag.version)
    assert flag_set(actor=org.sales, customer=other, flag=Flag.objects.get(pk=flag.pk), on=True)


def test_a_new_flag_moves_customers_through_a_rule(org, mine):
    flag = flag_create(actor=org.admin, key="big_deal", name="大单在谈")
    model = LifecycleModel.objects.get(key="six_phase")
    target = Stage.objects.get(model=model, key="maintain")
    Rule.objects.create(
        model=model,
        name="大单在谈：维护",
        from_stages=["identify"],
        to_stage=target,
        condition={"fact": "flags", "op": "has", "value": "big_deal"},
        priority=5,
    )
    lifecycle_evaluate([mine.pk], now=timezone.now())
    assert CustomerStage.objects.get(customer=mine, model=model).stage.key == "identify"
    flag_set(actor=org.sales, customer=mine, flag=flag, on=True)
    assert CustomerStage.objects.get(customer=mine, model=model).stage.key == "maintain"
    row = next(row for row in flags_overview() if row.flag.key == "big_deal")
    assert row.customers == 1 and [rule.name for rule in row.rules] == ["大单在谈：维护"]


# --- pages ------------------------------------------------------------------------------------


def test_admin_adds_edits_and_retires_a_flag_on_the_pages(org, mine):
    admin = client_for(org.admin)
    page = admin.get("/lifecycle/flags/")
    assert page.status_code == 200 and "重点客户" in page.content.decode()
    bad = admin.post("/lifecycle/flags/", {"key": "", "name": "", "color": "#000000"})
    assert bad.status_code == 422
    created = admin.post(
        "/lifecycle/flags/", {"key": "trial", "name": "试用中", "color": "#0d6efd"}
    )
    assert created.status_code == 302 and Flag.objects.filter(key="trial").exists()
    edit = admin.get("/lifecycle/flags/trial/")
    assert edit.status_code == 200 and "试用中" in edit.content.decode()
    saved = admin.post(
        "/lifecycle/flags/trial/",
        {"name": "试用客户", "color": "#0d6efd", "description": "", "version": 1},
    )
    assert saved.status_code == 302 and Flag.objects.get(key="trial").name == "试用客户"
    stale = admin.post(
        "/lifecycle/flags/trial/",
        {"name": "过时", "color": "#0d6efd", "description": "", "version": 1},
    )
    assert stale.status_code == 409 and 'id="flag-conflict"' in stale.content.decode()
    assert Flag.objects.get(key="trial").name == "试用客户"
    retired = admin.post("/lifecycle/flags/trial/retire/", {"retired": "true", "version": 2})
    assert retired.status_code == 302 and Flag.objects.get(key="trial").retired_at is not None
    card = client_for(org.sales).get(f"/customers/{mine.pk}/").content.decode()
    assert "试用客户" not in card and "重点客户" in card  # a retired flag is not offered
    assert admin.get("/lifecycle/flags/nope/").status_code == 404


def test_setting_a_retired_flag_through_the_card_is_refused_in_words(org, mine):
    flag = Flag.objects.get(key="key_account")
    flag_update(actor=org.admin, flag=flag, data={"retired": True}, version=flag.version)
    response = client_for(org.sales).post(
        f"/lifecycle/customer/{mine.pk}/flags/", {"flag": "key_account", "on": "1"}, **HTMX
    )
    assert response.status_code == 422 and "已停用" in response.content.decode()
    assert not CustomerFlag.objects.exists()


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_flag_pages_are_for_admins(org, role):
    client = client_for(getattr(org, role))
    assert client.get("/lifecycle/flags/").status_code == 403
    assert client.post("/lifecycle/flags/", {"key": "x", "name": "x"}).status_code == 403
    assert client.get("/lifecycle/flags/key_account/").status_code == 403
    retire = client.post("/lifecycle/flags/key_account/retire/", {"retired": "1", "version": 1})
    assert retire.status_code == 403
    assert Flag.objects.get(key="key_account").retired_at is None
    assert not Flag.objects.filter(key="x").exists()


def test_the_flag_list_reads_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    for i in range(5):
        flag_create(actor=org.admin, key=f"f{i}", name=f"标记{i}")
    admin = client_for(org.admin)
    with django_assert_max_num_queries(10):
        assert admin.get("/lifecycle/flags/").status_code == 200
