"""Complaint helpers for the tests: created through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu.accounts.models import User
from kehu.complaints.models import Complaint, Status
from kehu.complaints.services import complaint_create, complaint_transition
from kehu.customers.models import Customer


def make_complaint(actor: User, customer: Customer, **data: Any) -> Complaint:
    values: dict[str, Any] = {"channel": "phone", "description": "收到的茶叶受潮发霉", **data}
    return complaint_create(actor=actor, customer=customer, data=values)


def move(actor: User, complaint: Complaint, to: str, **kwargs: Any) -> Complaint:
    complaint.refresh_from_db()
    return complaint_transition(
        actor=actor, complaint=complaint, version=complaint.version, to_status=to, **kwargs
    )


def walk_to(actor: User, complaint: Complaint, target: str) -> Complaint:
    """Move along the main path up to ``target`` (feedback given on the way)."""
    path = [Status.RECORDED, Status.HANDLING, Status.FEEDBACK, Status.CLOSED]
    for step in path[: path.index(Status(target)) + 1]:
        extra: dict[str, str] = {}
        if step == Status.FEEDBACK:
            extra["feedback"] = "已补发新茶"
        if step == Status.CLOSED:
            extra["customer_response"] = "客户表示满意"
        complaint = move(actor, complaint, step, **extra)
    return complaint


def ago(**kwargs: float) -> dt.datetime:
    from django.utils import timezone

    return timezone.now() - dt.timedelta(**kwargs)
