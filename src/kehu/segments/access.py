"""Who may see and change which segment. Every view and endpoint goes through here.

==========  ==========================================  =============================
sharing     seen by                                     changed (renamed, edited,
                                                        deleted) by
==========  ==========================================  =============================
private     its owner                                   its owner
team        the members of its team                     its owner
shared      everyone who logs in                        its owner
ready-made  everyone who logs in (the eight RFM ones)   admins
==========  ==========================================  =============================

Admins see and change every segment. A segment someone may not see answers 404, like
one that does not exist; the customers it lists are always only those the reader may
see (``selectors``), so sharing a segment shares no customer.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.access import NOTHING
from kehu.segments.models import Segment, Sharing

MAX_ID = 2**63 - 1


def segment_visibility_q(user: User) -> Q:
    """A filter over Segment fields: the segments ``user`` may see."""
    if not user.is_active:
        return NOTHING
    alive = Q(deleted_at__isnull=True)
    if user.is_admin_role:
        return alive
    seen = Q(sharing=Sharing.SHARED) | Q(owner_id=user.pk)
    if user.team_id is not None:
        seen |= Q(sharing=Sharing.TEAM, team_id=user.team_id)
    return alive & seen


def segments_visible_to(user: User) -> QuerySet[Segment]:
    return Segment.objects.filter(segment_visibility_q(user))


def can_create(user: User) -> bool:
    return user.is_active


def can_change(user: User, segment: Segment) -> bool:
    """Edit, rename, share, delete; add to or take from a static list."""
    if not user.is_active or segment.deleted_at is not None:
        return False
    if user.is_admin_role:
        return True
    return segment.owner_id is not None and segment.owner_id == user.pk


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_segment(user: User, segment_id: object, *, write: bool = False) -> Segment:
    """The segment if ``user`` may see it (and change it, with ``write``).

    ``Http404`` when it does not exist or is not the user's to see,
    ``PermissionDenied`` when it is visible but not the user's to change."""
    segment = (
        segments_visible_to(user).select_related("owner", "team").filter(pk=_pk(segment_id)).first()
    )
    if segment is None:
        raise Http404
    if write and not can_change(user, segment):
        raise PermissionDenied
    return segment
