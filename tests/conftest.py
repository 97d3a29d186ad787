from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import translation

from kehu.accounts.models import Role, Team, User
from tests.factories import TeamFactory, make_user


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language (zh-Hans), whatever an earlier
    request or test activated in this thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Org:
    """Two teams with every role: the cast of the access tests."""

    east: Team
    west: Team
    admin: User
    manager: User  # manages east
    west_manager: User
    sales: User  # in east
    east_sales2: User
    west_sales: User
    service: User
    analyst: User


@pytest.fixture
def org(db: None) -> Org:
    east = TeamFactory(name="华东")
    west = TeamFactory(name="华西")
    return Org(
        east=east,
        west=west,
        admin=make_user(Role.ADMIN, team=None, username="admin"),
        manager=make_user(Role.MANAGER, team=east, username="east_mgr"),
        west_manager=make_user(Role.MANAGER, team=west, username="west_mgr"),
        sales=make_user(Role.SALES, team=east, username="east_sales"),
        east_sales2=make_user(Role.SALES, team=east, username="east_sales2"),
        west_sales=make_user(Role.SALES, team=west, username="west_sales"),
        service=make_user(Role.SERVICE, team=east, username="service"),
        analyst=make_user(Role.ANALYST, team=None, username="analyst"),
    )
