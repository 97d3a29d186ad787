"""A playbook step that gives a coupon: given at the start to the treated (not the
held-out), its task says so, a switched-off coupon stops the start with a message; and
the exit analysis sets apart those who left while a playbook ran."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.coupons.models import Coupon, CouponSource
from kehu.exits.models import ExitRecord
from kehu.followups.models import Task
from kehu.retention.exit_context import left_during_a_playbook
from kehu.retention.models import StepKind
from kehu.retention.starting import runs_start
from tests.coupons.conftest import make_template
from tests.factories import make_customer
from tests.retention.conftest import make_playbook

pytestmark = pytest.mark.django_db


def test_a_coupon_step_gives_the_coupon_to_the_treated_only(org) -> None:
    coupon = make_template(name="回归礼券")
    people = [make_customer(org.sales, name=f"客户{i}") for i in range(40)]
    playbook = make_playbook(
        org.manager,
        holdout_percent=25,
        steps=[
            {"kind": StepKind.CALL, "title": "了解原因", "due_days": 2},
            {"kind": StepKind.COUPON, "coupon_id": coupon.pk, "due_days": 1},
        ],
    )
    result = runs_start(
        playbook=playbook,
        customer_ids=[p.pk for p in people],
        actor=org.manager,
        rng=random.Random(3),
    )
    treated = set(result.started) - set(result.held_out)
    assert result.held_out and treated
    given = Coupon.objects.filter(template=coupon)
    assert set(given.values_list("customer_id", flat=True)) == treated
    assert set(given.values_list("source", flat=True)) == {CouponSource.PLAYBOOK}
    tasks = Task.objects.filter(customer_id=min(treated), params__kind="coupon")
    assert [task.params["coupon"] for task in tasks] == ["回归礼券"]


def test_a_switched_off_coupon_stops_the_start_and_a_bad_step_is_refused(org) -> None:
    coupon = make_template(name="旧券")
    playbook = make_playbook(org.manager, steps=[{"kind": StepKind.COUPON, "coupon_id": coupon.pk}])
    coupon.is_active = False
    coupon.save(update_fields=["is_active"])
    customer = make_customer(org.sales, name="甲")
    with pytest.raises(ValidationError, match="优惠券已停用"):
        runs_start(playbook=playbook, customer_ids=[customer.pk], actor=org.manager)
    assert not Coupon.objects.exists()
    with pytest.raises(ValidationError, match="启用的优惠券"):
        make_playbook(org.manager, name="无券", steps=[{"kind": StepKind.COUPON}])


def test_the_exit_analysis_sets_apart_those_who_left_during_a_playbook(org) -> None:
    during, after, never = (make_customer(org.sales, name=n) for n in ("甲", "乙", "丙"))
    playbook = make_playbook(org.manager)
    runs_start(playbook=playbook, customer_ids=[during.pk, after.pk], actor=org.manager)
    now = timezone.now()
    from kehu.retention.models import PlaybookRun

    PlaybookRun.objects.filter(customer=after).update(
        outcome="stopped", ended_at=now - dt.timedelta(days=30)
    )
    from kehu.exits.models import ExitReason

    unknown = ExitReason.objects.get(key="unknown")
    for customer in (during, after, never):
        ExitRecord.objects.create(
            customer=customer, at=now, reason=unknown, month=now.date().replace(day=1)
        )
    assert left_during_a_playbook([during.pk, after.pk, never.pk]) == {during.pk}
