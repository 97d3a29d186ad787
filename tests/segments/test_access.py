"""Who sees and changes which segment: a test per refused role."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.accounts.models import User
from kehu.segments.access import access_segment
from kehu.segments.models import Segment, Sharing
from kehu.segments.services import segment_create
from tests.conftest import Org

pytestmark = pytest.mark.django_db

RULE = {"fact": "orders_count", "op": ">=", "value": 1}


def _make(owner: User, sharing: str) -> Segment:
    return segment_create(actor=owner, data={"name": "测试", "rule": RULE, "sharing": sharing})


def test_private_is_the_owners(org: Org) -> None:
    segment = _make(org.sales, Sharing.PRIVATE)
    assert access_segment(org.sales, segment.pk, write=True) == segment
    assert access_segment(org.admin, segment.pk, write=True) == segment
    for refused in (org.east_sales2, org.manager, org.west_sales, org.service, org.analyst):
        with pytest.raises(Http404):
            access_segment(refused, segment.pk)


def test_team_is_the_teams(org: Org) -> None:
    segment = _make(org.sales, Sharing.TEAM)
    assert segment.team_id == org.east.pk
    for seen in (org.east_sales2, org.manager, org.service):  # all in east
        assert access_segment(seen, segment.pk) == segment
        with pytest.raises(PermissionDenied):
            access_segment(seen, segment.pk, write=True)
    for refused in (org.west_sales, org.west_manager, org.analyst):
        with pytest.raises(Http404):
            access_segment(refused, segment.pk)


def test_shared_is_everyones_to_read_the_owners_to_change(org: Org) -> None:
    segment = _make(org.manager, Sharing.SHARED)
    for reader in (org.sales, org.west_sales, org.service, org.analyst):
        assert access_segment(reader, segment.pk) == segment
        with pytest.raises(PermissionDenied):
            access_segment(reader, segment.pk, write=True)
    assert access_segment(org.admin, segment.pk, write=True) == segment


def test_ready_made_only_admins_change(org: Org) -> None:
    builtin = Segment.objects.get(builtin="rfm_important_value")
    assert access_segment(org.sales, builtin.pk) == builtin
    for refused in (org.sales, org.manager, org.service, org.analyst):
        with pytest.raises(PermissionDenied):
            access_segment(refused, builtin.pk, write=True)
    assert access_segment(org.admin, builtin.pk, write=True) == builtin


def test_bad_ids_and_inactive_users_are_404(org: Org) -> None:
    segment = _make(org.sales, Sharing.SHARED)
    for bad in ("x", 0, -1, 2**70, None):
        with pytest.raises(Http404):
            access_segment(org.sales, bad)
    org.west_sales.is_active = False
    with pytest.raises(Http404):
        access_segment(org.west_sales, segment.pk)
