"""``access_complaint`` per role: not visible → 404 (like a missing id); visible but
not the user's to handle → PermissionDenied."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.complaints.access import access_complaint, access_incident
from kehu.complaints.services import incident_create
from kehu.customers.services import customer_delete
from tests.complaints.factories import make_complaint

pytestmark = pytest.mark.django_db

ALL = ("own", "other", "west", "pool")

# role → (complaints visible, complaints the role may handle)
RULES = {
    "admin": (ALL, ALL),
    "service": (ALL, ALL),
    "analyst": (ALL, ()),
    "manager": (("own", "other", "pool"), ("own", "other", "pool")),
    "west_manager": (("west", "pool"), ("west", "pool")),
    "sales": (("own",), ()),
    "west_sales": (("west",), ()),
}


@pytest.fixture
def complaints(org, book):
    return {key: make_complaint(org.service, customer) for key, customer in book.items()}


@pytest.mark.parametrize("role", sorted(RULES))
def test_access_per_role(org, complaints, role):
    user = getattr(org, role)
    visible, handled = RULES[role]
    for key, complaint in complaints.items():
        if key not in visible:
            with pytest.raises(Http404):
                access_complaint(user, complaint.pk)
            continue
        assert access_complaint(user, complaint.pk) == complaint
        if key in handled:
            assert access_complaint(user, complaint.pk, write=True) == complaint
        else:
            with pytest.raises(PermissionDenied):
                access_complaint(user, complaint.pk, write=True)


@pytest.mark.parametrize("raw", [0, -1, "x", None, 2**64, "1.5"])
def test_ids_that_are_not_ids_are_404(org, complaints, raw):
    with pytest.raises(Http404):
        access_complaint(org.admin, raw)


def test_missing_and_hidden_look_the_same(org, complaints):
    with pytest.raises(Http404) as missing:
        access_complaint(org.sales, 10**9)
    with pytest.raises(Http404) as hidden:
        access_complaint(org.sales, complaints["west"].pk)
    assert str(missing.value) == str(hidden.value)


def test_complaints_of_deleted_customers_and_inactive_users_are_404(org, book, complaints):
    customer_delete(actor=org.admin, customer=book["west"])
    with pytest.raises(Http404):
        access_complaint(org.admin, complaints["west"].pk)
    org.service.is_active = False
    org.service.save()
    with pytest.raises(Http404):
        access_complaint(org.service, complaints["own"].pk)


def test_incidents_everyone_reads_admins_and_service_run(org):
    incident = incident_create(actor=org.service, data={"title": "批次 A 茶叶受潮"})
    for role in ("admin", "service", "manager", "sales", "analyst"):
        assert access_incident(getattr(org, role), incident.pk) == incident
    for role in ("admin", "service"):
        assert access_incident(getattr(org, role), incident.pk, write=True) == incident
    for role in ("manager", "sales", "analyst"):
        with pytest.raises(PermissionDenied):
            access_incident(getattr(org, role), incident.pk, write=True)
    with pytest.raises(Http404):
        access_incident(org.admin, incident.pk + 1000)
    with pytest.raises(PermissionDenied):
        incident_create(actor=org.manager, data={"title": "x"})
