"""Audiences an app above offers the customer list and its export (``?segment=ID``),
campaigns and survey sends (a segment picked in their forms).

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
AudienceChoices = Callable[[User], list[tuple[int, str]]]
_RESOLVERS: dict[str, AudienceResolver] = {}
_CHOICES: dict[str, AudienceChoices] = {}


def register_audience(
    kind: str, resolver: AudienceResolver, choices: AudienceChoices | None = None
) -> None:
    """``resolver`` answers one audience; ``choices`` lists those a user may pick (id,
    name) where a form offers them (a campaign's, a survey's)."""
    _RESOLVERS[kind] = resolver
    if choices is not None:
        _CHOICES[kind] = choices


def audience_choices(user: User, kind: str) -> list[tuple[int, str]]:
    """The audiences of ``kind`` ``user`` may pick, as (id, name); none when no app
    offers that kind."""
    choices = _CHOICES.get(kind)
    return choices(user) if choices is not None else []


def audience_for(user: User, kind: str, pk: int) -> Audience:
    """The audience ``kind`` ``pk`` as ``user`` may use it; ``Http404`` when there is no
    such audience, or not one the user may see."""
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise Http404
    return resolver(user, pk)
