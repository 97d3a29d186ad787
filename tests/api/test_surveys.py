"""/api/v1/surveys/{id}/send and /results."""

from __future__ import annotations

import pytest

from kehu.surveys.models import Invitation
from kehu.surveys.services import response_record
from tests.factories import make_customer
from tests.surveys.factories import answers_for, make_survey, send_link

pytestmark = pytest.mark.django_db


def test_send_by_ids_with_skips(org, as_user):
    survey = make_survey(org.admin)
    mine = make_customer(org.sales, name="甲")
    theirs = make_customer(org.west_sales, name="乙")
    api = as_user(org.sales)
    body = {"customer_ids": [mine.pk, theirs.pk, 987654], "channel": "link"}
    answer = api.post(f"/api/v1/surveys/{survey.pk}/send", body)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["invitations"] == 1 and data["skipped"] == 2
    assert data["skipped_reasons"] == {"not_allowed": 2}
    assert data["links"][0]["customer_id"] == mine.pk
    assert "/surveys/a/" in data["links"][0]["url"]
    again = api.post(f"/api/v1/surveys/{survey.pk}/send", body).json()
    assert again["invitations"] == 0 and again["skipped_reasons"]["open_invitation"] == 1


def test_send_by_filter(org, as_user):
    survey = make_survey(org.admin)
    make_customer(org.sales, name="甲", city="杭州")
    make_customer(org.west_sales, name="乙", city="杭州")
    api = as_user(org.manager)
    body = {"filter": {"city": "杭州"}, "channel": "link", "language": "en"}
    data = api.post(f"/api/v1/surveys/{survey.pk}/send", body).json()
    assert data["invitations"] == 1
    assert Invitation.objects.get().language == "en"


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "link"},
        {"customer_ids": [1], "filter": {}, "channel": "link"},
        {"customer_ids": [1], "channel": "fax"},
        {"customer_ids": [1], "channel": "link", "language": "fr"},
        {"customer_ids": [0], "channel": "link"},
    ],
)
def test_send_bad_input(org, as_user, body):
    survey = make_survey(org.admin)
    answer = as_user(org.admin).post(f"/api/v1/surveys/{survey.pk}/send", body)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid"


def test_send_refused_and_missing(org, as_user):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales)
    body = {"customer_ids": [customer.pk], "channel": "link"}
    refused = as_user(org.analyst).post(f"/api/v1/surveys/{survey.pk}/send", body)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert as_user(org.admin).post("/api/v1/surveys/999999/send", body).status_code == 404
    inactive = make_survey(org.admin, name="停用", is_active=False)
    answer = as_user(org.admin).post(f"/api/v1/surveys/{inactive.pk}/send", body)
    assert answer.status_code == 422 and "survey" in answer.json()["errors"]
    assert not Invitation.objects.exists()


def test_results(org, as_user):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales)
    _inv, token = send_link(org.sales, survey, customer)
    response_record(raw_token=token, values=answers_for(survey, csat=4, nps=9))
    send_link(org.admin, survey, make_customer(org.west_sales, name="西"))
    data = as_user(org.analyst).get(f"/api/v1/surveys/{survey.pk}/results", {"group": "team"})
    assert data.status_code == 200
    body = data.json()
    assert body["totals"]["sent"] == 2 and body["totals"]["response_rate"] == 50.0
    assert body["totals"]["csat_share"] == 100.0 and body["totals"]["nps"] == 100.0
    east = (
        as_user(org.manager)
        .get(f"/api/v1/surveys/{survey.pk}/results", {"team": org.east.pk})
        .json()
    )
    assert east["totals"]["sent"] == 1
    bad = as_user(org.admin).get(f"/api/v1/surveys/{survey.pk}/results", {"period": "2026-13"})
    assert bad.status_code == 422
    far = as_user(org.admin).get(
        f"/api/v1/surveys/{survey.pk}/results", {"date_to": "9999-12-31", "date_from": "0001-01-01"}
    )
    # Dates people type are 1900–2100 on every endpoint (core/dates.py): refused with
    # the range, no longer clamped in silence.
    assert far.status_code == 422
    assert set(far.json()["errors"]) == {"date_from", "date_to"}
    for role in ("sales", "service"):
        refused = as_user(getattr(org, role)).get(f"/api/v1/surveys/{survey.pk}/results")
        assert refused.status_code == 403


@pytest.mark.parametrize("role", ["admin", "sales"])
def test_fuzzed_input_never_breaks_the_survey_endpoints(org, role):
    """Schemathesis on the two survey operations, with real survey ids half the time."""
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from django.test import Client
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import (
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    from kehu.accounts.services import token_create
    from tests.api.test_openapi import keep_test_connection

    survey = make_survey(org.admin)
    make_customer(org.sales, name="甲")
    _token, raw = token_create(user=getattr(org, role))
    headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}
    schemathesis.experimental.OPEN_API_3_1.enable()
    try:
        spec = Client(HTTP_HOST="localhost").get("/api/v1/openapi.json").json()
        schema = schemathesis.from_dict(spec, app=get_wsgi_application())
        operations = [op.ok() for op in schema.get_all_operations() if "/surveys/" in op.ok().path]
        assert len(operations) == 2
        checks = (not_a_server_error, response_schema_conformance, status_code_conformance)
        for operation in operations:

            @given(case=operation.as_strategy(), real=st.booleans())
            @settings(
                max_examples=40,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case, real):
                if real:
                    case.path_parameters = {"survey_id": survey.pk}
                response = case.call_wsgi(headers=headers)
                case.validate_response(response, checks=checks)

            with keep_test_connection():
                run()
    finally:
        schemathesis.experimental.OPEN_API_3_1.disable()
