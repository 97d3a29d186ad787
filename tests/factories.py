"""factory_boy factories and small helpers shared by the suite."""

from __future__ import annotations

from typing import Any

import factory

from kehu.accounts.models import Role, Team, User
from kehu.customers.models import Customer
from kehu.customers.services import customer_create


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"团队{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.SALES
    team = factory.SubFactory(TeamFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw-Kehu-2026")

    @factory.post_generation
    def _save(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


def make_user(role: str = Role.SALES, team: Team | None = None, **kwargs: Any) -> User:
    extra: dict[str, Any] = {"role": role, **kwargs}
    if team is not None:
        extra["team"] = team
    if role == Role.ADMIN:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
    return UserFactory(**extra)


def make_customer(
    owner: User | None,
    *,
    name: str = "张三",
    kind: str = "person",
    phones: tuple[str, ...] = (),
    actor: User | None = None,
    allow_duplicate: bool = True,
    **data: Any,
) -> Customer:
    """A customer created through the real service (so history and search are right)."""
    tags = data.pop("tags", ())
    if actor is None:
        actor = owner if owner is not None else make_user(Role.ADMIN, team=None)
    return customer_create(
        actor=actor,
        data={"name": name, "kind": kind, **data},
        phones=phones,
        tags=tags,
        owner=owner,
        allow_duplicate=allow_duplicate,
    )
