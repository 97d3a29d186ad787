"""``kehu token create USERNAME`` prints a new API token; ``revoke`` and ``list``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import ApiToken, User
from kehu.accounts.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Manage API tokens (stored hashed; the value is shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("token_id", type=int)
        listing = sub.add_parser("list")
        listing.add_argument("username", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {options['username']!r}")
            token, raw = token_create(user=user, name=options["name"])
            self.stdout.write(raw)
        elif action == "revoke":
            found = ApiToken.objects.filter(pk=options["token_id"]).first()
            if found is None:
                raise CommandError(f"no token {options['token_id']}")
            token_revoke(token=found)
            self.stdout.write(f"revoked token {found.pk}")
        else:
            tokens = ApiToken.objects.select_related("user").order_by("pk")
            if options.get("username"):
                tokens = tokens.filter(user__username=options["username"])
            for token in tokens:
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.pk}\t{token.user.username}\t{token.hint}…\t{state}")
