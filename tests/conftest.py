from __future__ import annotations

from dataclasses import dataclass

import pytest

from kehu.accounts.models import Role, Team, User
from tests.factories import TeamFactory, make_user


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
