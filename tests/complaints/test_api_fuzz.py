"""schemathesis against the complaint operations only: no input causes a 500, and
every answer matches the documented schema and statuses."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.accounts.services import token_create
from kehu.complaints.models import Complaint
from tests.api.test_openapi import _schema, keep_test_connection, openapi_3_1  # noqa: F401
from tests.complaints.factories import make_complaint


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["service", "sales"])
def test_complaint_operations_never_fail(org, book, role, openapi_3_1):  # noqa: F811
    user = getattr(org, role)
    _token, raw = token_create(user=user)
    headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}
    customers = [book["own"].pk, book["west"].pk, book["pool"].pk]
    complaints = [make_complaint(org.service, book[key]).pk for key in ("own", "west", "pool")]
    schema = _schema(Client(HTTP_HOST="localhost"))
    checks = (not_a_server_error, response_schema_conformance, status_code_conformance)
    operations = [
        result.ok() for result in schema.get_all_operations() if "complaints" in result.ok().path
    ]
    assert len(operations) == 4

    for operation in operations:

        @given(
            case=operation.as_strategy(), pick=st.sampled_from([None, 0, 1, 2]), fresh=st.booleans()
        )
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case, pick, fresh):
            path = case.path_parameters or {}
            if pick is not None:
                if "complaint_id" in path:
                    case.path_parameters = {**path, "complaint_id": complaints[pick]}
                    if fresh and isinstance(case.body, dict):
                        current = Complaint.objects.get(pk=complaints[pick]).version
                        case.body = {**case.body, "version": current}
                if "customer_id" in path:
                    case.path_parameters = {**path, "customer_id": customers[pick]}
                if isinstance(case.body, dict) and "customer_id" in case.body:
                    case.body = {**case.body, "customer_id": customers[pick]}
            response = case.call_wsgi(headers=headers)
            case.validate_response(response, checks=checks)

        with keep_test_connection():
            run()
