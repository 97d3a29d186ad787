"""The complaint workflow, deadlines, bad input, optimistic locking, events, timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.complaints.models import (
    Complaint,
    ComplaintDeadline,
    ComplaintStep,
    DeadlineKind,
    Status,
    StepKind,
)
from kehu.complaints.services import (
    InvalidTransition,
    complaint_create,
    complaint_transition,
    complaint_update,
)
from kehu.core import events
from kehu.core.errors import ConflictError
from kehu.customers.merge import relations
from kehu.customers.timeline import customer_timeline
from kehu.orders.models import Product
from kehu.orders.services import OrderData, order_upsert
from tests.complaints.factories import ago, make_complaint, move, walk_to

pytestmark = pytest.mark.django_db


def test_deadlines_are_seeded_per_severity():
    hours = {
        d.severity: (d.response_hours, d.resolution_hours) for d in ComplaintDeadline.objects.all()
    }
    assert hours == {
        "critical": (1, 24),
        "high": (4, 48),
        "medium": (24, 120),
        "low": (48, 240),
    }


def test_create_sets_deadlines_handler_and_a_first_step(org, book):
    received = ago(minutes=30)
    complaint = make_complaint(org.service, book["own"], severity="critical", received_at=received)
    assert complaint.status == Status.RECEIVED
    assert complaint.handler == org.service  # the service team handles what it logs
    assert complaint.response_due_at == received + dt.timedelta(hours=1)
    assert complaint.resolution_due_at == received + dt.timedelta(hours=24)
    assert complaint.due_kind == DeadlineKind.RESPONSE
    assert complaint.due_at == complaint.response_due_at
    left = complaint.time_left()
    assert left is not None and dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    step = complaint.steps.get()
    assert step.kind == StepKind.CREATED and step.actor == org.service


def test_deadlines_follow_what_admins_configure(org, book):
    ComplaintDeadline.objects.filter(severity="low").update(response_hours=3, resolution_hours=7)
    complaint = make_complaint(org.service, book["own"], severity="low")
    assert complaint.resolution_due_at - complaint.received_at == dt.timedelta(hours=7)


def test_sales_logs_on_own_customer_without_becoming_handler(org, book):
    complaint = make_complaint(org.sales, book["own"])
    assert complaint.handler is None
    with pytest.raises(PermissionDenied):
        make_complaint(org.sales, book["other"])
    with pytest.raises(PermissionDenied):
        make_complaint(org.analyst, book["own"])


def test_the_full_path_records_every_step(org, book):
    complaint = make_complaint(org.service, book["own"])
    complaint = walk_to(org.service, complaint, Status.CLOSED)
    assert complaint.status == Status.CLOSED
    assert complaint.responded_at and complaint.resolved_at and complaint.closed_at
    assert complaint.due_at is None and complaint.time_left() is None
    assert complaint.feedback == "已补发新茶" and complaint.customer_response == "客户表示满意"
    moves = list(
        complaint.steps.filter(kind=StepKind.TRANSITION).values_list("from_status", "to_status")
    )
    assert moves == [
        ("received", "recorded"),
        ("recorded", "handling"),
        ("handling", "feedback"),
        ("feedback", "closed"),
    ]


def test_response_met_then_resolution_pending(org, book):
    complaint = make_complaint(org.service, book["own"], severity="high")
    complaint = walk_to(org.service, complaint, Status.HANDLING)
    assert complaint.due_kind == DeadlineKind.RESOLUTION
    assert complaint.due_at == complaint.resolution_due_at


def test_reopen_goes_back_to_handling_with_a_new_resolution_deadline(org, book):
    complaint = walk_to(org.service, make_complaint(org.service, book["own"]), Status.CLOSED)
    before = complaint.resolution_due_at
    complaint = move(org.service, complaint, Status.HANDLING, note="客户再次来电")
    assert complaint.status == Status.HANDLING
    assert complaint.closed_at is None and complaint.resolved_at is None
    assert complaint.resolution_due_at > before
    assert complaint.due_kind == DeadlineKind.RESOLUTION
    assert complaint.steps.last().note == "客户再次来电"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.RECEIVED, Status.HANDLING),
        (Status.RECEIVED, Status.FEEDBACK),
        (Status.RECORDED, Status.FEEDBACK),
        (Status.HANDLING, Status.RECORDED),
        (Status.CLOSED, Status.FEEDBACK),
        (Status.CLOSED, Status.CLOSED),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(org, book, start, target):
    complaint = make_complaint(org.service, book["own"])
    if start != Status.RECEIVED:
        complaint = walk_to(org.service, complaint, start)
    steps = complaint.steps.count()
    with pytest.raises(InvalidTransition) as caught:
        move(org.service, complaint, target, feedback="x", close_reason="x")
    assert caught.value.code == "invalid_transition" and caught.value.status == 409
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.status == start and fresh.version == complaint.version
    assert fresh.steps.count() == steps


def test_closing_without_feedback_response_or_reason_is_refused(org, book):
    complaint = make_complaint(org.service, book["own"])
    with pytest.raises(ValidationError) as caught:
        move(org.service, complaint, Status.CLOSED)
    assert "close_reason" in caught.value.message_dict
    complaint = walk_to(org.service, complaint, Status.FEEDBACK)
    with pytest.raises(ValidationError) as caught:
        move(org.service, complaint, Status.CLOSED)
    assert "customer_response" in caught.value.message_dict
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.status == Status.FEEDBACK and fresh.closed_at is None
    assert fresh.version == complaint.version


def test_closing_with_a_reason_from_any_open_status(org, book):
    complaint = make_complaint(org.service, book["own"])
    closed = move(org.service, complaint, Status.CLOSED, close_reason="重复登记")
    assert closed.status == Status.CLOSED and closed.close_reason == "重复登记"
    feedback = walk_to(org.service, make_complaint(org.service, book["own"]), Status.FEEDBACK)
    closed = move(org.service, feedback, Status.CLOSED, close_reason="客户联系不上")
    assert closed.status == Status.CLOSED


def test_feedback_needs_the_text_given(org, book):
    complaint = walk_to(org.service, make_complaint(org.service, book["own"]), Status.HANDLING)
    with pytest.raises(ValidationError) as caught:
        move(org.service, complaint, Status.FEEDBACK, feedback="   ")
    assert "feedback" in caught.value.message_dict


def test_stale_version_is_a_conflict_and_loses_nothing(org, book):
    complaint = make_complaint(org.service, book["own"])
    stale = complaint.version
    move(org.manager, complaint, Status.RECORDED)
    with pytest.raises(ConflictError) as caught:
        complaint_transition(
            actor=org.service, complaint=complaint, version=stale, to_status=Status.RECORDED
        )
    assert caught.value.code == "conflict"
    with pytest.raises(ConflictError):
        complaint_update(
            actor=org.service, complaint=complaint, version=stale, data={"severity": "high"}
        )
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.status == Status.RECORDED and fresh.severity == "medium"
    assert fresh.version == stale + 1


@pytest.mark.parametrize(
    "data",
    [
        {"severity": "catastrophic"},
        {"channel": "fax"},
        {"category": "nope"},
        {"description": ""},
        {"description": "x" * 5001},
        {"colour": "red"},
    ],
)
def test_create_refuses_bad_input(org, book, data):
    with pytest.raises(ValidationError):
        make_complaint(org.service, book["own"], **data)
    assert not Complaint.objects.exists()


def test_create_refuses_future_receipt_and_foreign_references(org, book):
    with pytest.raises(ValidationError):
        make_complaint(org.service, book["own"], received_at=timezone.now() + dt.timedelta(days=1))
    west_order = order_upsert(
        actor=org.admin,
        data=OrderData(
            customer_id=book["west"].pk,
            source="shop",
            external_id="W-1",
            ordered_at=ago(days=3),
            total=__import__("decimal").Decimal("10.00"),
        ),
    )[0]
    with pytest.raises(ValidationError) as caught:
        make_complaint(org.service, book["own"], order_id=west_order.pk)
    assert "order_id" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_complaint(org.service, book["own"], handler_id=org.west_manager.pk)
    assert "handler_id" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_complaint(org.service, book["own"], product_id=999_999)
    assert not Complaint.objects.exists()


def test_update_changes_fields_and_severity_moves_deadlines(org, book):
    product = Product.objects.create(name="龙井", sku="TEA-1")
    complaint = make_complaint(org.service, book["own"], severity="low")
    changed = complaint_update(
        actor=org.manager,
        complaint=complaint,
        version=complaint.version,
        data={"severity": "critical", "product_id": product.pk, "handler_id": org.manager.pk},
    )
    assert changed.severity == "critical" and changed.product == product
    assert changed.handler == org.manager
    assert changed.response_due_at == changed.received_at + dt.timedelta(hours=1)
    assert changed.due_at == changed.response_due_at
    assert changed.steps.filter(kind=StepKind.CHANGE).count() == 1


def test_who_may_handle(org, book):
    own = make_complaint(org.service, book["own"])
    west = make_complaint(org.service, book["west"])
    for user in (org.sales, org.analyst, org.west_manager):
        with pytest.raises(PermissionDenied):
            move(user, own, Status.RECORDED)
    move(org.manager, own, Status.RECORDED)
    move(org.admin, west, Status.RECORDED)
    move(org.west_manager, west, Status.HANDLING)


def test_events_changed_and_closed(org, book):
    seen: list[tuple[str, int]] = []
    for kind in ("complaint_changed", "complaint_closed"):
        events.subscribe(
            kind, "tests.complaints", lambda e: seen.append((e.kind, e.data["complaint_id"]))
        )
    try:
        complaint = make_complaint(org.service, book["own"])
        move(org.service, complaint, Status.CLOSED, close_reason="误报")
    finally:
        for kind in ("complaint_changed", "complaint_closed"):
            events._handlers[kind] = [
                (n, h) for n, h in events._handlers.get(kind, []) if n != "tests.complaints"
            ]
    assert seen == [
        ("complaint_changed", complaint.pk),
        ("complaint_changed", complaint.pk),
        ("complaint_closed", complaint.pk),
    ]


def test_every_step_is_on_the_customer_timeline(org, book):
    complaint = walk_to(org.service, make_complaint(org.service, book["own"]), Status.FEEDBACK)
    page = customer_timeline(book["own"], kinds=["complaint"], limit=50)
    titles = [e.title for e in page.events]
    assert len(titles) == complaint.steps.count() == 4
    assert any("已反馈客户" in t for t in titles)
    assert all(e.url.endswith(f"/complaints/{complaint.pk}/") for e in page.events)
    first = customer_timeline(book["own"], kinds=["complaint"], limit=2)
    assert first.next_cursor is not None
    rest = customer_timeline(book["own"], kinds=["complaint"], cursor=first.next_cursor, limit=10)
    assert {e.pk for e in first.events}.isdisjoint({e.pk for e in rest.events})
    assert len(first.events) + len(rest.events) == 4


def test_complaints_move_with_a_merge(org):
    assert any(r.model is Complaint for r in relations())


def test_step_records_who_and_when(org, book):
    complaint = make_complaint(org.service, book["own"])
    move(org.manager, complaint, Status.RECORDED, note="已登记到系统")
    step = ComplaintStep.objects.filter(complaint=complaint).last()
    assert step.actor == org.manager and step.note == "已登记到系统"
    assert step.from_status == "received" and step.to_status == "recorded"
    assert abs((timezone.now() - step.at).total_seconds()) < 60


def test_create_through_service_rejects_unknown_fields(org, book):
    with pytest.raises(ValidationError):
        complaint_create(
            actor=org.service,
            customer=book["own"],
            data={"channel": "phone", "description": "x", "status": "closed"},
        )


def test_steps_the_system_words_read_in_the_readers_language(org, book):
    """A change of fields and a move with feedback keep what was changed and what was
    typed, labelled in the reader's language; a note alone stays as typed."""
    from django.utils import translation

    from kehu.complaints.services import complaint_update

    complaint = make_complaint(org.service, book["own"])
    with translation.override("en"):
        complaint_update(
            actor=org.service,
            complaint=complaint,
            version=complaint.version,
            data={"severity": "high"},
        )
    walk_to(org.service, complaint, Status.FEEDBACK)
    steps = list(ComplaintStep.objects.filter(complaint=complaint).order_by("at", "id"))
    changed, feedback = steps[1], steps[-1]
    assert (changed.note, changed.message, changed.params) == (
        "",
        "complaints.changed",
        {"fields": ["severity"]},
    )
    assert changed.note_text == "修改了：严重程度"
    assert feedback.params == {"feedback": "已补发新茶", "note": ""}
    assert feedback.note_text == "反馈：已补发新茶"
    with translation.override("en"):
        assert changed.note_text == "Changed: Severity"
        assert feedback.note_text == "Feedback: 已补发新茶"
    assert steps[2].message == "" and steps[2].note_text == steps[2].note
