"""Interactions (跟进记录) from a file: each row checked and written by
``interaction_log`` (in the dry run inside a savepoint that is rolled back), for the
customer ``CustomerFinder`` finds among those the importer may see, recorded by the
user the 记录人 column names (default: the importer). Undo deletes them with
``interaction_remove``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import KehuError
from kehu.customers.models import Customer
from kehu.imports.customer_match import CustomerFinder, CustomerNotFound
from kehu.imports.models import ImportJob, RowOutcome
from kehu.imports.readers import Row
from kehu.imports.rows import Planned, Rollback, error_text, row_values
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log, interaction_remove

MAX_CELL = 5000


def interaction_row(job: ImportJob, cells: list[Any]) -> dict[str, Any]:
    """The row's values by field (several 内容 columns joined); ``ValidationError``
    keyed by header."""
    data, errors = row_values(job, cells, limit=MAX_CELL, joined=frozenset({"notes"}))
    if errors:
        raise ValidationError(errors)
    return data


class InteractionPlanner:
    def __init__(self, job: ImportJob, *, check: bool = True):
        self.job = job
        self.check = check  # run the service in a rolled-back savepoint (the dry run)
        self.finder = CustomerFinder(job.user)
        self.users: dict[str, User | None] = {}
        self.seen: dict[tuple[Any, ...], int] = {}

    def _user(self, text: str) -> User:
        if not text:
            return self.job.user
        if text not in self.users:
            self.users[text] = (
                User.objects.filter(Q(username=text) | Q(display_name=text), is_active=True)
                .order_by("id")
                .first()
            )
        user = self.users[text]
        if user is None:
            raise ValidationError({"user": [_("找不到用户“%(name)s”。") % {"name": text[:50]}]})
        return user

    def prepare(self, plan: Planned) -> tuple[Customer, dict[str, Any], User]:
        data = dict(plan.data or {})
        customer_id = self.finder.customer_id(data.pop("customer", ""))
        user = self._user(data.pop("user", ""))
        customer = Customer.objects.get(pk=customer_id)
        return customer, data, user

    def plan(self, rows: list[Row]) -> list[Planned]:
        plans: list[Planned] = []
        for raw in rows:
            plan = Planned(raw.number, list(raw.cells), RowOutcome.NEW)
            plans.append(plan)
            if raw.error:
                plan.outcome, plan.error = RowOutcome.ERROR, raw.error
                continue
            try:
                plan.data = interaction_row(self.job, plan.cells)
            except ValidationError as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, error_text(self.job, exc)
        self.finder.load({(p.data or {}).get("customer", "") for p in plans if p.data})
        for plan in plans:
            if plan.outcome != RowOutcome.NEW:
                continue
            try:
                customer, data, user = self.prepare(plan)
                key = (
                    customer.pk,
                    data.get("occurred_at"),
                    data.get("kind"),
                    data.get("notes", ""),
                )
                if key in self.seen:
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("与文件第 %(row)d 行是同一条跟进记录。") % {
                        "row": self.seen[key]
                    }
                    continue
                self.seen[key] = plan.number
                if data.get("occurred_at") and _exists(customer, data):
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("已有相同的跟进记录。")
                    continue
                if self.check:
                    with transaction.atomic():
                        interaction_log(
                            actor=self.job.user, customer=customer, data=data, user=user
                        )
                        raise Rollback
            except Rollback:
                pass
            except CustomerNotFound as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, str(exc)
            except ValidationError as exc:
                plan.outcome, plan.error = RowOutcome.ERROR, error_text(self.job, exc)
            except PermissionDenied:
                plan.outcome, plan.error = RowOutcome.ERROR, _("您无权为该客户记录跟进。")
        return plans


def _exists(customer: Customer, data: dict[str, Any]) -> bool:
    return Interaction.objects.filter(
        customer=customer,
        occurred_at=data["occurred_at"],
        kind=data.get("kind", ""),
        notes=data.get("notes", ""),
    ).exists()


def interactions_write(job: ImportJob, plans: list[Planned]) -> None:
    planner = InteractionPlanner(job)
    planner.finder.load({(p.data or {}).get("customer", "") for p in plans if p.data})
    for plan in plans:
        if plan.outcome != RowOutcome.NEW:
            continue
        try:
            customer, data, user = planner.prepare(plan)
            with transaction.atomic():
                interaction = interaction_log(
                    actor=job.user, customer=customer, data=data, user=user
                )
            plan.match_id, plan.version = interaction.pk, None
        except CustomerNotFound as exc:
            plan.outcome, plan.error = RowOutcome.ERROR, str(exc)
        except ValidationError as exc:
            plan.outcome, plan.error = RowOutcome.ERROR, error_text(job, exc)
        except (KehuError, PermissionDenied):
            plan.outcome, plan.error = RowOutcome.ERROR, _("您无权为该客户记录跟进。")


def interaction_undo(row: Any, actor: Any, *, force: bool) -> bool:
    """Delete an interaction the import created (it has no version: nothing to
    compare; one deleted since is simply gone)."""
    interaction = Interaction.objects.filter(pk=row.target_id).select_related("customer").first()
    if interaction is None:
        return True
    try:
        with transaction.atomic():
            interaction_remove(actor=actor, interaction=interaction)
    except PermissionDenied:
        return False
    return True
