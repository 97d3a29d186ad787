"""``kehu loyalty``: points by hand, a member's balance, the nightly passes now.

kehu loyalty grant CUSTOMER_ID POINTS "reason" [--user NAME]   (negative: deduct)
kehu loyalty balance CUSTOMER_ID
kehu loyalty check          (kept balances against the ledger; exit 1 on a difference)
kehu loyalty expire         (points past their date, then 12-month figures and levels)
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.selectors import command_actor
from kehu.customers.models import Customer
from kehu.loyalty.checks import ledger_check, members_refresh, points_expire
from kehu.loyalty.selectors import member_card
from kehu.loyalty.services import points_adjust


class Command(BaseCommand):
    help = "Loyalty points: grant (or deduct), balance, check, expire."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        grant = sub.add_parser("grant", help="Grant points (a negative number deducts).")
        grant.add_argument("customer_id", type=int)
        grant.add_argument("points", type=int)
        grant.add_argument("reason")
        grant.add_argument("--user", help="As this user (default: the first admin).")
        balance = sub.add_parser("balance", help="A member's level, balance and owed points.")
        balance.add_argument("customer_id", type=int)
        sub.add_parser("check", help="Check every kept balance against the ledger.")
        sub.add_parser("expire", help="Expire points past their date; refresh levels.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _customer(self, customer_id: int) -> Customer:
        customer = Customer.objects.filter(pk=customer_id, deleted_at__isnull=True).first()
        if customer is None:
            raise CommandError(f"No customer {customer_id}.")
        return customer

    def _grant(self, options: dict[str, Any]) -> None:
        actor = command_actor(options["user"])
        if actor is None:
            raise CommandError("No such active user (and no admin to act as).")
        customer = self._customer(options["customer_id"])
        try:
            entry = points_adjust(
                actor=actor, customer=customer, points=options["points"], reason=options["reason"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except PermissionDenied:
            raise CommandError(f"{actor.username} may not grant points.") from None
        self.stdout.write(f"entry {entry.pk}: {entry.amount:+d} ({entry.kind})")
        self._balance({"customer_id": customer.pk})

    def _balance(self, options: dict[str, Any]) -> None:
        card = member_card(self._customer(options["customer_id"]))
        level = card.level.name if card.level else "-"
        self.stdout.write(f"level {level}  balance {card.balance}  owed {card.owed}")

    def _check(self, options: dict[str, Any]) -> None:
        result = ledger_check()
        self.stdout.write(f"{result.members} members, {result.differences} differ from the ledger")
        for example in result.examples:
            self.stdout.write(json.dumps(example))
        if result.differences:
            raise CommandError("kept balances differ from the ledger", returncode=1)

    def _expire(self, options: dict[str, Any]) -> None:
        expired = points_expire()
        refreshed = members_refresh()
        self.stdout.write(
            f"expired {expired.points} points of {expired.members} members; "
            f"{refreshed} members' 12-month figures or level changed"
        )
