"""/api/v1/customers/{id}/contacts and /api/v1/contacts/{id}: roles, versions, masking."""

from __future__ import annotations

import pytest

from kehu.customers.contacts import contact_add
from kehu.customers.models import Contact, CustomerChange
from kehu.customers.ownership import pool_release
from tests.api.conftest import api_client_for
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(org):
    return make_customer(org.sales, name="星河贸易", kind="company")


def _list(customer):
    return f"/api/v1/customers/{customer.pk}/contacts"


def _one(contact):
    return f"/api/v1/contacts/{contact.pk}"


def test_add_list_change_and_remove(org, company):
    api = api_client_for(org.sales)
    response = api.post(
        _list(company), {"name": "王经理", "phone": "138 1234 5678", "is_primary": True}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+8613812345678" and body["is_primary"] and body["version"] == 1
    assert response["Location"] == f"/api/v1/contacts/{body['id']}"
    listed = api.get(_list(company)).json()
    assert listed["contact_data_hidden"] is False
    assert [c["name"] for c in listed["items"]] == ["王经理"]
    response = api.patch(f"/api/v1/contacts/{body['id']}", {"title": "总监", "version": 1})
    assert response.status_code == 200
    assert response.json()["title"] == "总监" and response.json()["version"] == 2
    response = api.delete(f"/api/v1/contacts/{body['id']}", **{"If-Match": '"2"'})
    assert response.status_code == 204
    assert not Contact.objects.exists()
    fields = CustomerChange.objects.filter(customer=company, field="contacts").count()
    assert fields == 3


def test_a_change_without_a_version_is_refused(org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    response = api_client_for(org.sales).patch(_one(contact), {"title": "经理"})
    assert response.status_code == 428
    assert response.json()["code"] == "version_required"
    response = api_client_for(org.sales).delete(_one(contact))
    assert response.status_code == 428
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_stale_version_answers_409_and_writes_nothing(org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    manager = api_client_for(org.manager)
    assert manager.patch(_one(contact), {"title": "总监", "version": 1}).status_code == 200
    response = api_client_for(org.sales).patch(_one(contact), {"title": "经理", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["details"]["current_version"] == 2
    assert "被他人修改" in body["message"]
    contact.refresh_from_db()
    assert contact.title == "总监"
    response = api_client_for(org.sales).delete(_one(contact), **{"If-Match": '"1"'})
    assert response.status_code == 409
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_if_match_carries_the_version(org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    api = api_client_for(org.sales)
    response = api.patch(_one(contact), {"name": "乙"}, **{"If-Match": '"1"'})
    assert response.status_code == 200 and response["ETag"] == '"2"'


def test_bad_input_answers_422_with_the_fields(org, company):
    response = api_client_for(org.sales).post(
        _list(company), {"name": "甲", "phone": "12345", "email": "x@"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) >= {"phone", "email"}
    response = api_client_for(org.sales).post(_list(company), {"name": "甲", "colour": "红"})
    assert response.status_code == 422


def test_marking_primary_keeps_one(org, company):
    first = contact_add(actor=org.sales, customer=company, data={"name": "甲", "is_primary": True})
    second = contact_add(actor=org.sales, customer=company, data={"name": "乙"})
    response = api_client_for(org.sales).patch(_one(second), {"is_primary": True, "version": 1})
    assert response.status_code == 200
    items = api_client_for(org.sales).get(_list(company)).json()["items"]
    assert [(c["name"], c["is_primary"]) for c in items] == [("乙", True), ("甲", False)]
    first.refresh_from_db()
    assert first.version == 2  # demoted: a client holding version 1 must read it again


@pytest.mark.parametrize("role", ["east_sales2", "west_sales", "west_manager"])
def test_who_cannot_see_the_customer_gets_404(org, company, role):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    api = api_client_for(getattr(org, role))
    assert api.get(_list(company)).status_code == 404
    assert api.post(_list(company), {"name": "乙"}).status_code == 404
    assert api.patch(_one(contact), {"name": "乙", "version": 1}).status_code == 404
    assert api.delete(_one(contact)).status_code == 404
    assert api.get("/api/v1/customers/999999/contacts").status_code == 404
    assert api.patch("/api/v1/contacts/999999", {"name": "乙", "version": 1}).status_code == 404


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_service_and_analysts_read_but_may_not_change(org, company, role):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    api = api_client_for(getattr(org, role))
    assert [c["name"] for c in api.get(_list(company)).json()["items"]] == ["甲"]
    assert api.post(_list(company), {"name": "乙"}).status_code == 403
    assert api.patch(_one(contact), {"name": "乙", "version": 1}).status_code == 403
    assert api.delete(_one(contact)).status_code == 403
    assert Contact.objects.get().name == "甲"


def test_pool_customers_contacts_are_masked_for_salespeople(org, company):
    contact = contact_add(
        actor=org.sales, customer=company, data={"name": "王秘密", "phone": "13812345678"}
    )
    pool_release(actor=org.sales, customer=company, reason="不再跟进")
    api = api_client_for(org.east_sales2)
    body = api.get(_list(company)).json()
    assert body == {"items": [], "contact_data_hidden": True}
    assert api.patch(_one(contact), {"name": "乙", "version": 1}).status_code == 404
    assert api.delete(_one(contact)).status_code == 404
    manager = api_client_for(org.manager)
    assert [c["name"] for c in manager.get(_list(company)).json()["items"]] == ["王秘密"]
    assert manager.patch(_one(contact), {"title": "经理", "version": 1}).status_code == 200
