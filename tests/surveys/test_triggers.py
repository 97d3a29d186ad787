"""Triggers: after a closed complaint, N days after a paid order; idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.core.events import CustomerEvent, emit, subscribers
from kehu.jobs.schedule import job_run
from kehu.orders.models import Product
from kehu.orders.services import LineData, OrderData, order_upsert
from kehu.surveys.models import Invitation, InvitationSource, SurveyTrigger, TriggerKind
from kehu.surveys.services import (
    invitations_deliver_pending,
    order_triggers_run,
    trigger_save,
)
from tests.factories import make_customer
from tests.surveys.factories import make_survey

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _close(customer, complaint_id: int) -> None:
    emit(CustomerEvent("complaint_closed", customer.pk, data={"complaint_id": complaint_id}))


def _trigger(org, survey, kind, **data) -> SurveyTrigger:
    return trigger_save(
        actor=org.admin, survey=survey, data={"kind": kind, "channel": "link", **data}
    )


def test_subscribed_to_complaint_closed():
    assert "surveys.invite_after_complaint" in subscribers()["complaint_closed"]


def test_closed_complaint_invites_once(org):
    survey = make_survey(org.admin)
    _trigger(org, survey, TriggerKind.COMPLAINT_CLOSED)
    customer = make_customer(org.sales)
    _close(customer, 41)
    _close(customer, 41)  # closed again after a reopen: no second invitation
    invitation = Invitation.objects.get()
    assert invitation.complaint_id == 41 and invitation.source == InvitationSource.COMPLAINT
    assert invitation.sent_at is not None and invitation.token_digest
    assert invitation.owner == org.sales and invitation.team == org.east


def test_no_active_trigger_no_invitation(org):
    survey = make_survey(org.admin)
    _trigger(org, survey, TriggerKind.COMPLAINT_CLOSED, is_active=False)
    _close(make_customer(org.sales), 1)
    assert not Invitation.objects.exists()


def test_delayed_complaint_invitation_goes_out_later(org):
    survey = make_survey(org.admin)
    _trigger(org, survey, TriggerKind.COMPLAINT_CLOSED, delay_days=2)
    _close(make_customer(org.sales), 5)
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None
    assert invitations_deliver_pending() == {"delivered": 0, "failed": 0}
    later = timezone.now() + dt.timedelta(days=2, minutes=1)
    assert invitations_deliver_pending(now=later) == {"delivered": 1, "failed": 0}
    assert invitations_deliver_pending(now=later) == {"delivered": 0, "failed": 0}


def test_failed_delivery_does_not_break_the_closing_and_is_retried(org, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("gateway down")

    monkeypatch.setattr("kehu.messaging.services.message_to_customers", broken)
    survey = make_survey(org.admin)
    _trigger(org, survey, TriggerKind.COMPLAINT_CLOSED, channel="sms")
    _close(make_customer(org.sales), 9)  # no exception reaches the complaint
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None and invitation.token_digest is None
    assert "gateway down" in invitation.delivery_error
    sent = []
    monkeypatch.setattr(
        "kehu.messaging.services.message_to_customers", lambda **kw: sent.append(kw) or "ok"
    )
    later = timezone.now() + dt.timedelta(hours=2)
    assert invitations_deliver_pending(now=later)["delivered"] == 1
    [call] = sent
    assert call["purpose"] == "survey" and call["channel"] == "sms"
    assert set(call["extra"]) == {invitation.customer_id}
    assert call["extra"][invitation.customer_id]["链接"].startswith("http")
    assert "{链接}" in call["body"]


def _order(customer, external_id: str, when: dt.datetime, product=None, status="paid"):
    lines = (LineData(quantity=Decimal("1"), product_id=product.pk),) if product else ()
    order, _outcome = order_upsert(
        actor=customer.owner,
        data=OrderData(
            source="shop",
            external_id=external_id,
            ordered_at=when,
            customer_id=customer.pk,
            status=status,
            total=None if product else Decimal("10.00"),
            lines=lines,
        ),
    )
    return order


def test_order_trigger_is_idempotent_and_catches_up(org):
    survey = make_survey(org.admin)
    trigger = _trigger(org, survey, TriggerKind.ORDER_PAID, delay_days=3)
    now = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
    SurveyTrigger.objects.filter(pk=trigger.pk).update(created_at=now - dt.timedelta(days=30))
    a, b, c = (make_customer(org.sales, name=n) for n in ("甲", "乙", "丙"))
    tea = Product.objects.create(name="龙井", price=Decimal("100.00"))
    due = _order(a, "O-1", dt.datetime(2026, 3, 7, 23, 30, tzinfo=SHANGHAI), tea)
    missed = _order(b, "O-2", dt.datetime(2026, 3, 5, 8, 0, tzinfo=SHANGHAI))  # a missed day
    _order(c, "O-3", dt.datetime(2026, 3, 8, 0, 30, tzinfo=SHANGHAI))  # not yet 3 days
    _order(c, "O-4", dt.datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI), status="cancelled")
    assert order_triggers_run(now=now) == 2
    assert order_triggers_run(now=now) == 0  # running twice creates nothing twice
    assert set(Invitation.objects.values_list("order_id", flat=True)) == {due.pk, missed.pk}
    assert invitations_deliver_pending(now=now)["delivered"] == 2
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 0


def test_orders_before_the_trigger_existed_are_left_alone(org):
    survey = make_survey(org.admin)
    trigger = _trigger(org, survey, TriggerKind.ORDER_PAID, delay_days=1)
    now = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
    SurveyTrigger.objects.filter(pk=trigger.pk).update(created_at=now - dt.timedelta(hours=1))
    _order(make_customer(org.sales), "O-1", dt.datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI))
    assert order_triggers_run(now=now) == 0


def test_order_trigger_one_open_invitation_per_customer(org):
    survey = make_survey(org.admin)
    trigger = _trigger(org, survey, TriggerKind.ORDER_PAID, delay_days=0)
    SurveyTrigger.objects.filter(pk=trigger.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    customer = make_customer(org.sales)
    now = timezone.now()
    _order(customer, "O-1", now - dt.timedelta(minutes=5))
    _order(customer, "O-2", now - dt.timedelta(minutes=4))
    assert order_triggers_run(now=now) == 1


def test_the_daily_job(org):
    survey = make_survey(org.admin)
    trigger = _trigger(org, survey, TriggerKind.ORDER_PAID, delay_days=0)
    SurveyTrigger.objects.filter(pk=trigger.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    _order(make_customer(org.sales), "O-1", timezone.now() - dt.timedelta(minutes=1))
    run = job_run("survey_order_triggers")
    assert run is not None and run.status == "ok", run and run.error
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 1
    job_run("survey_order_triggers")
    assert Invitation.objects.count() == 1
