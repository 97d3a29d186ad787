"""Audiences an app above offers the customer list and its export: ``?segment=ID``.

The segments app registers its resolver in ``AppConfig.ready()`` (customers may not
import it). The resolver checks the user may see the segment (``Http404`` otherwise)
and answers its name and a filter over Customer rows; the list still applies the
user's own visibility, so an audience never shows a customer the user may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from kehu.accounts.models import User


@dataclass(frozen=True)
class Audience:
    name: str
    q: Q


AudienceResolver = Callable[[User, int], Audience]
_RESOLVERS: dict[str, AudienceResolver] = {}


def register_audience(kind: str, resolver: AudienceResolver) -> None:
    _RESOLVERS[kind] = resolver


def audience_for(user: User, kind: str, pk: int) -> Audience:
    """The audience ``kind`` ``pk`` as ``user`` may use it; ``Http404`` when there is no
    such audience, or not one the user may see."""
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise Http404
    return resolver(user, pk)
