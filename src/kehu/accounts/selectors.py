"""Reads of users and teams, scoped to what the actor may manage."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from kehu.accounts.models import Role, Team, User


def users_visible_to(actor: User) -> QuerySet[User]:
    """Admins see every user; managers their team; others only themselves."""
    users = User.objects.select_related("team").order_by("username")
    if actor.is_admin_role or actor.role == Role.ANALYST:
        return users
    if actor.role == Role.MANAGER and actor.team_id:
        return users.filter(team_id=actor.team_id)
    return users.filter(pk=actor.pk)


def users_assignable_by(actor: User) -> QuerySet[User]:
    """Users the actor may make a customer's owner."""
    users = User.objects.filter(is_active=True).select_related("team").order_by("username")
    if actor.is_admin_role:
        return users.exclude(role__in=[Role.ANALYST, Role.SERVICE])
    if actor.role == Role.MANAGER and actor.team_id:
        return users.filter(team_id=actor.team_id).exclude(role__in=[Role.ANALYST, Role.SERVICE])
    return users.filter(pk=actor.pk)


def teams_visible_to(actor: User) -> QuerySet[Team]:
    if actor.sees_all_customers:
        return Team.objects.all()
    return Team.objects.filter(pk=actor.team_id) if actor.team_id else Team.objects.none()


def access_user(actor: User, user_id: int, *, write: bool = False) -> User:
    """Return a user the actor may see (write: manage), else 404."""
    qs = users_visible_to(actor)
    if write and not actor.is_admin_role:
        qs = qs.none()
    try:
        return qs.get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def request_actor(request: HttpRequest) -> User:
    """The logged-in user of a request (views are behind ``login_required``)."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise Http404
    return user


def command_actor(username: str | None) -> User | None:
    """Who a ``kehu`` command acts as: the active user named by ``--user``, else the
    first active admin; None when there is none (the command says so)."""
    users = User.objects.filter(is_active=True)
    if username:
        return users.filter(username=username).first()
    return users.filter(Q(is_superuser=True) | Q(role=Role.ADMIN)).order_by("id").first()
