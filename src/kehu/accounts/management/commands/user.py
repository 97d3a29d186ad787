"""``kehu user add USERNAME --role ROLE [--team TEAM]`` and friends."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import Role, User
from kehu.accounts.services import team_get_or_create, user_create


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Manage users: add, list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a user and print a generated password.")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--team", default="")
        add.add_argument("--name", default="", help="Display name")
        add.add_argument("--email", default="")
        sub.add_parser("list", help="List users.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for user in User.objects.select_related("team").order_by("username"):
                team = user.team.name if user.team else "-"
                active = "" if user.is_active else " (inactive)"
                self.stdout.write(f"{user.username}\t{user.role}\t{team}{active}")
            return
        try:
            team_name: str = options["team"]
            user, password = user_create(
                username=options["username"],
                role=options["role"],
                team=team_get_or_create(name=team_name) if team_name else None,
                display_name=options["name"],
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from exc
        self.stdout.write(f"user: {user.username}\nrole: {user.role}\npassword: {password}")
