"""/api/v1 campaigns and consent — and the refusals."""

from __future__ import annotations

import pytest

from kehu.messaging.models import Campaign, Consent, ConsentStatus
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def unthrottled(settings):
    settings.KEHU_MESSAGES_PER_SECOND = 0
    settings.KEHU_SMS_BACKEND = "logging"


def _campaign(ids, **changes):
    return {
        "name": "中秋问候",
        "channel": "sms",
        "purpose": "care",
        "body": "{称呼}中秋快乐",
        "audience": {"customer_ids": ids},
        **changes,
    }


def test_campaign_create_preview_and_progress(org, as_user, django_capture_on_commit_callbacks):
    ok = consenting_customer(org.sales, name="王小明", gender="male")
    out = consenting_customer(org.sales, name="李四", status=ConsentStatus.WITHDRAWN)
    api = as_user(org.sales)
    preview = api.post("/api/v1/campaigns", _campaign([ok.pk, out.pk], preview=True))
    assert preview.status_code == 200
    assert preview.json()["count"] == 2
    assert preview.json()["samples"][0]["body"] == "王先生中秋快乐 回T退订"
    assert not Campaign.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/campaigns", _campaign([ok.pk, out.pk]))
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    progress = api.get(f"/api/v1/campaigns/{campaign_id}").json()["progress"]
    assert (progress["sent"], progress["skipped"]) == (1, 1)
    assert progress["skipped_by_reason"] == {"withdrawn": 1}


def test_campaign_by_tag_and_filters(org, as_user):
    from kehu.customers.models import Tag

    vip = Tag.objects.create(name="VIP")
    a = consenting_customer(org.sales, name="甲", tags=[vip], city="杭州")
    consenting_customer(org.sales, name="乙", city="上海")
    api = as_user(org.sales)
    by_tag = api.post("/api/v1/campaigns", _campaign([], audience={"tag_id": vip.pk}, preview=True))
    assert by_tag.json()["count"] == 1 and by_tag.json()["samples"][0]["customer_id"] == a.pk
    by_city = api.post(
        "/api/v1/campaigns", _campaign([], audience={"filters": {"city": "上海"}}, preview=True)
    )
    assert by_city.json()["count"] == 1


def test_campaign_bad_input(org, as_user):
    customer = consenting_customer(org.sales)
    api = as_user(org.sales)
    unknown = api.post("/api/v1/campaigns", _campaign([customer.pk], body="{称呼}{暗号}"))
    assert unknown.status_code == 422 and "{暗号}" in str(unknown.json()["errors"]["body"])
    assert api.post("/api/v1/campaigns", _campaign([customer.pk], channel="fax")).status_code == 422
    no_channel = _campaign([customer.pk])
    del no_channel["channel"]
    assert api.post("/api/v1/campaigns", no_channel).status_code == 422
    assert (
        api.post("/api/v1/campaigns", _campaign([customer.pk], template_id=999)).status_code == 404
    )
    assert api.get("/api/v1/campaigns/99999999999999999999999").status_code in (404, 422)
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "service"])
def test_campaign_refused_roles(org, as_user, role):
    customer = consenting_customer(org.sales)
    response = as_user(getattr(org, role)).post(
        "/api/v1/campaigns", _campaign([customer.pk], purpose="marketing")
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Campaign.objects.exists()


def test_campaign_of_another_is_404(org, as_user):
    customer = consenting_customer(org.sales)
    created = as_user(org.sales).post("/api/v1/campaigns", _campaign([customer.pk])).json()
    for outsider in (org.east_sales2, org.analyst, org.west_manager):
        response = as_user(outsider).get(f"/api/v1/campaigns/{created['id']}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_consent_get_and_put(org, as_user):
    customer = make_customer(org.sales, name="甲")
    api = as_user(org.sales)
    got = api.get(f"/api/v1/customers/{customer.pk}/consent").json()["items"]
    assert [(i["channel"], i["status"]) for i in got] == [("email", None), ("sms", None)]
    put = api.client.put(
        f"/api/v1/customers/{customer.pk}/consent",
        '{"channel": "email", "status": "granted", "version": 0}',
        content_type="application/json",
        headers=api.headers,
    )
    assert put.status_code == 200
    email = put.json()["items"][0]
    assert (email["status"], email["source"], email["version"]) == ("granted", "api", 1)
    stale = api.client.put(
        f"/api/v1/customers/{customer.pk}/consent",
        '{"channel": "email", "status": "withdrawn", "version": 0}',
        content_type="application/json",
        headers=api.headers,
    )
    assert stale.status_code == 409
    bad = api.client.put(
        f"/api/v1/customers/{customer.pk}/consent",
        '{"channel": "fax", "status": "granted"}',
        content_type="application/json",
        headers=api.headers,
    )
    assert bad.status_code == 422


def test_consent_refusals(org, as_user):
    customer = make_customer(org.sales, name="甲")
    body = '{"channel": "sms", "status": "granted"}'
    assert (
        as_user(org.west_sales).get(f"/api/v1/customers/{customer.pk}/consent").status_code == 404
    )
    for role, status in ((org.analyst, 403), (org.west_sales, 404)):
        api = as_user(role)
        response = api.client.put(
            f"/api/v1/customers/{customer.pk}/consent",
            body,
            content_type="application/json",
            headers=api.headers,
        )
        assert response.status_code == status
    assert not Consent.objects.exists()


@pytest.mark.parametrize("role", ["admin", "sales"])
def test_schemathesis_finds_no_server_error_in_messaging(org, role):
    """The messaging operations fuzzed alone (the whole-spec test covers them too)."""
    import schemathesis
    from django.test import Client
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import (
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    from kehu.accounts.services import token_create
    from tests.api.test_openapi import OPENAPI_URL, _schema, keep_test_connection

    schemathesis.experimental.OPEN_API_3_1.enable()
    try:
        user = getattr(org, role)
        _token, raw = token_create(user=user)
        headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}
        ids = [
            consenting_customer(org.sales, name="甲").pk,
            make_customer(org.west_sales, name="乙").pk,
        ]
        web = Client(HTTP_HOST="localhost")
        assert web.get(OPENAPI_URL).status_code == 200
        schema = _schema(web)
        mine = {
            "/api/v1/campaigns",
            "/api/v1/campaigns/{campaign_id}",
            "/api/v1/customers/{customer_id}/consent",
        }
        operations = [r.ok() for r in schema.get_all_operations() if r.ok().path in mine]
        assert len(operations) == 4
        checks = (not_a_server_error, response_schema_conformance, status_code_conformance)
        for operation in operations:

            @given(case=operation.as_strategy(), real_id=st.sampled_from([None, *ids]))
            @settings(
                max_examples=30,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case, real_id):
                if real_id is not None and "customer_id" in (case.path_parameters or {}):
                    case.path_parameters = {**case.path_parameters, "customer_id": real_id}
                if real_id is not None and isinstance(case.body, dict) and "audience" in case.body:
                    case.body = {**case.body, "audience": {"customer_ids": ids}}
                response = case.call_wsgi(headers=headers)
                case.validate_response(response, checks=checks)

            with keep_test_connection():
                run()
    finally:
        schemathesis.experimental.OPEN_API_3_1.disable()
