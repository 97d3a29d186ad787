"""Expiry (oldest first, end of the year after earning) and the nightly check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.jobs.schedule import job_run_due
from kehu.loyalty.checks import ledger_check, members_refresh, points_expire
from kehu.loyalty.models import EntryKind, Gift, Member, PointEntry
from kehu.loyalty.services import points_adjust, points_redeem

pytestmark = pytest.mark.django_db


def test_expiry_takes_what_is_left_of_old_points_only(org, book):
    old = points_adjust(actor=org.admin, customer=book["own"], points=100, reason="旧")
    points_adjust(actor=org.admin, customer=book["own"], points=50, reason="新")
    PointEntry.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    gift = Gift.objects.create(name="笔", points_cost=30)
    # Spending takes the oldest-expiring points first: 70 of the old ones are left.
    points_redeem(actor=org.admin, customer=book["own"], kind="gift", item_id=gift.pk)
    result = points_expire()
    assert (result.members, result.points) == (1, 70)
    expired = PointEntry.objects.get(kind=EntryKind.EXPIRE)
    assert expired.amount == -70 and "旧" in expired.reason
    assert Member.objects.get(customer=book["own"]).balance == 50
    assert points_expire().points == 0  # run again: nothing more
    assert ledger_check().differences == 0


def test_the_check_reports_a_kept_balance_that_differs_from_the_ledger(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=100, reason="赠送")
    assert ledger_check().differences == 0
    Member.objects.filter(customer=book["own"]).update(balance=90)
    result = ledger_check()
    assert result.differences == 1
    assert result.examples[0]["customer_id"] == book["own"].pk
    assert result.examples[0]["ledger_net"] == 100


def test_refresh_drops_spend_older_than_12_months(org, book):
    from tests.loyalty.conftest import push

    push(org.sales, book["own"], "O-1", "6000")
    assert Member.objects.get(customer=book["own"]).level.name == "金卡"
    PointEntry.objects.update(at=timezone.now() - dt.timedelta(days=400))
    assert members_refresh() == 1
    member = Member.objects.get(customer=book["own"])
    assert (member.spend_12m, member.level.name) == (0, "普通会员")


def test_the_nightly_job_records_its_result(org, book):
    points_adjust(actor=org.admin, customer=book["own"], points=10, reason="赠送")
    run = job_run_due("loyalty_nightly", now=timezone.now())
    assert run is not None
    assert run.result["check"]["differences"] == 0
