"""Reads of the retention app, scoped by what the reader may see."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer
from kehu.retention.models import Outcome, Playbook, PlaybookRun, RunStep


def playbooks_list() -> QuerySet[Playbook]:
    """Every playbook with its counts (the list page; one query)."""
    return (
        Playbook.objects.select_related("stage", "segment")
        .annotate(
            open_runs=Count("runs", filter=Q(runs__outcome=Outcome.OPEN)),
            all_runs=Count("runs"),
        )
        .order_by("-is_active", "name", "id")
    )


def runs_visible_to(user: User) -> QuerySet[PlaybookRun]:
    return PlaybookRun.objects.filter(
        customer__in=Customer.objects.filter(visibility_q(user), deleted_at__isnull=True)
    )


def customer_runs(customer: Customer, *, limit: int = 10) -> list[PlaybookRun]:
    """The customer's runs, latest first, with their steps (the customer page and the
    API; the caller has checked the customer through ``access_customer``)."""
    return list(
        PlaybookRun.objects.filter(customer=customer)
        .select_related("playbook", "ended_by")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=RunStep.objects.select_related("owner", "task").order_by("order", "id"),
            )
        )
        .order_by("-started_at", "-id")[:limit]
    )
