"""Assignment (round-robin in a team, by region) and the lead pool: claim, release,
reclaim after N days without a call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.customers.ownership import OwnershipError
from kehu.leads.assignment import (
    lead_pool_claim,
    lead_reclaim,
    lead_release,
    lead_settings,
    lead_settings_update,
    pool_assign_by_rule,
    region_route_save,
)
from kehu.leads.models import AssignmentMode, Lead, LeadSettings
from kehu.leads.services import attempt_log
from tests.factories import make_user
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


def _mode(org, mode, team=None):
    settings = lead_settings()
    return lead_settings_update(
        actor=org.admin,
        data={"mode": mode, "team_id": team.pk if team else None},
        version=settings.version,
    )


def test_round_robin_takes_turns_among_the_team(org):
    _mode(org, AssignmentMode.ROUND_ROBIN, org.east)
    owners = [make_lead(None, phone=f"1380013{8100 + i}").owner for i in range(6)]
    members = [org.manager, org.sales, org.east_sales2]  # east's sales and manager, by id
    members.sort(key=lambda u: u.pk)
    assert owners == members + members
    assert org.service not in owners  # the service team takes no leads


def test_round_robin_needs_a_team_with_members(org):
    from django.core.exceptions import ValidationError

    empty = org.east.__class__.objects.create(name="空团队")
    with pytest.raises(ValidationError):
        _mode(org, AssignmentMode.ROUND_ROBIN, empty)
    assert lead_settings().mode == AssignmentMode.POOL


def test_by_region_city_before_province_and_the_pool_otherwise(org):
    _mode(org, AssignmentMode.REGION)
    region_route_save(actor=org.admin, province="浙江", city="", user=org.sales)
    region_route_save(actor=org.admin, province="浙江", city="宁波", user=org.east_sales2)
    assert make_lead(None, province="浙江", city="杭州").owner == org.sales
    assert make_lead(None, province="浙江", city="宁波", phone="13800138111").owner == (
        org.east_sales2
    )
    assert make_lead(None, province="四川", phone="13800138112").owner is None


def test_pool_assign_by_rule_gives_the_pool_an_owner(org):
    waiting = make_lead(org.admin, None)
    _mode(org, AssignmentMode.ROUND_ROBIN, org.west)
    report = pool_assign_by_rule(actor=org.admin)
    assert report.assigned == 1
    waiting.refresh_from_db()
    assert waiting.owner in (org.west_sales, org.west_manager)


def test_claim_from_the_pool_and_only_one_wins(org, leads):
    lead = lead_pool_claim(actor=org.sales, lead_id=leads["pool"].pk)
    assert lead.owner == org.sales and lead.team == org.east and lead.claimed_at
    with pytest.raises(OwnershipError) as error:
        lead_pool_claim(actor=org.east_sales2, lead_id=leads["pool"].pk)
    assert error.value.code in ("taken",)
    assert lead.events.filter(kind="claim").count() == 1


def test_claim_cap(org, leads):
    settings = lead_settings()
    LeadSettings.objects.filter(pk=settings.pk).update(claim_cap=1)  # org.sales owns one
    with pytest.raises(OwnershipError) as error:
        lead_pool_claim(actor=org.sales, lead_id=leads["pool"].pk)
    assert error.value.code == "over_cap"
    assert Lead.objects.get(pk=leads["pool"].pk).owner is None


def test_service_and_analyst_may_not_claim(org, leads):
    for user in (org.service, org.analyst):
        with pytest.raises(PermissionDenied):
            lead_pool_claim(actor=user, lead_id=leads["pool"].pk)


def test_release_blocks_the_releaser_for_a_while(org, leads):
    lead = lead_release(actor=org.sales, lead=leads["own"], reason="联系不上")
    assert lead.owner is None and lead.blocked_user == org.sales
    with pytest.raises(OwnershipError) as error:
        lead_pool_claim(actor=org.sales, lead_id=lead.pk)
    assert error.value.code == "blocked"
    assert lead_pool_claim(actor=org.east_sales2, lead_id=lead.pk).owner == org.east_sales2


def test_reclaim_after_n_days_without_a_call(org):
    now = timezone.now()
    idle = make_lead(org.sales, org.sales, phone="13800138201")
    called = make_lead(org.sales, org.sales, phone="13800138202")
    fresh = make_lead(org.sales, org.sales, phone="13800138203")
    old = now - dt.timedelta(days=5)
    Lead.objects.filter(pk__in=[idle.pk, called.pk]).update(claimed_at=old)
    attempt_log(actor=org.sales, lead=called, outcome="no_answer", at=now - dt.timedelta(days=1))
    report = lead_reclaim(now=now)  # default: 3 days
    assert report.returned == [idle.pk]
    assert Lead.objects.get(pk=idle.pk).owner is None
    assert Lead.objects.get(pk=called.pk).owner == org.sales
    assert Lead.objects.get(pk=fresh.pk).owner == org.sales
    assert lead_reclaim(now=now).returned == []  # a second run changes nothing
    assert Lead.objects.get(pk=idle.pk).events.filter(kind="reclaim").count() == 1


def test_an_inactive_member_gets_no_leads(org):
    gone = make_user(Role.SALES, team=org.west, is_active=False)
    _mode(org, AssignmentMode.ROUND_ROBIN, org.west)
    owners = {make_lead(None, phone=f"1380013{8300 + i}").owner for i in range(4)}
    assert gone not in owners


def test_the_command_assigns_and_reclaims(org):
    from io import StringIO

    from django.core.management import call_command

    waiting = make_lead(org.admin, None)
    _mode(org, AssignmentMode.ROUND_ROBIN, org.west)
    out = StringIO()
    call_command("leads", "assign", stdout=out)
    assert "assigned: 1" in out.getvalue()
    waiting.refresh_from_db()
    assert waiting.owner is not None
    Lead.objects.filter(pk=waiting.pk).update(claimed_at=timezone.now() - dt.timedelta(days=9))
    out = StringIO()
    call_command("leads", "reclaim", stdout=out)
    assert "returned to pool: 1" in out.getvalue()
