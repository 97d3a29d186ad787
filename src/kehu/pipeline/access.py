"""Who may see and change which opportunity: the customers' rules
(``kehu.customers.access``), read on the opportunity's own owner and team.

========  ===========================================  ==========================
role      sees                                          may change (move, win, lose)
========  ===========================================  ==========================
admin     every opportunity                             every one
manager   the team's (and owner-less ones)              those
sales     own (and owner-less ones)                     own
service   every opportunity                             none
analyst   every opportunity                             none (read-only)
========  ===========================================  ==========================

An opportunity of a deleted customer, a deleted one, or one the user may not see
answers 404, like an id that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.access import can_create, can_write, visibility_q
from kehu.customers.models import Customer
from kehu.pipeline.models import Opportunity

MAX_ID = 2**63 - 1


def opportunity_visibility_q(user: User) -> Q:
    """A filter over Opportunity fields: the live opportunities ``user`` may see. The
    customers' filter names ``owner`` and ``team``, which an opportunity has too."""
    return visibility_q(user) & Q(deleted_at__isnull=True) & Q(customer__deleted_at__isnull=True)


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(opportunity_visibility_q(user))


class ChangeRule:
    """``can_change`` for many opportunities: the answer depends on the owner and team
    only, so it is asked once per pair (a board of 500 cards: a handful of calls)."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._known: dict[tuple[int | None, int | None], bool] = {}

    def __call__(self, opportunity: Opportunity) -> bool:
        if opportunity.deleted_at is not None:
            return False
        return self.allows(opportunity.owner_id, opportunity.team_id)

    def allows(self, owner_id: int | None, team_id: int | None) -> bool:
        """For a live opportunity with this owner and team."""
        key = (owner_id, team_id)
        allowed = self._known.get(key)
        if allowed is None:
            # The customers' rule on a probe with the opportunity's owner and team (as
            # ``orders.ingest_plan`` asks it for a batch).
            probe = Customer(owner_id=owner_id, team_id=team_id)
            allowed = self._known[key] = can_write(self.user, probe)
        return allowed


def can_change(user: User, opportunity: Opportunity) -> bool:
    """Edit, move, win, lose or delete the opportunity."""
    return ChangeRule(user)(opportunity)


def can_create_for(user: User, customer: Customer) -> bool:
    """Open an opportunity for ``customer``: whoever may change the customer."""
    return can_create(user) and customer.deleted_at is None and can_write(user, customer)


def can_use_pipeline(user: User) -> bool:
    """The board, the list and the forecast: every active user (scoped by visibility)."""
    return user.is_active


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_opportunity(user: User, opportunity_id: object, *, write: bool = False) -> Opportunity:
    """The opportunity if ``user`` may see it (and change it, with ``write``).

    ``Http404`` when it does not exist or is not the user's to see,
    ``PermissionDenied`` when it is visible but not the user's to change.
    """
    pk = _pk(opportunity_id)
    opportunity = (
        opportunities_visible_to(user)
        .select_related("customer", "phase", "owner", "team", "loss_reason", "order")
        .filter(pk=pk)
        .first()
    )
    if opportunity is None:
        raise Http404
    if write and not can_change(user, opportunity):
        raise PermissionDenied
    return opportunity
