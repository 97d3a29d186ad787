"""``kehu coupons list | stats ID | issue ID --segment SEG [--user NAME]``.

``list`` every template with its figures; ``stats ID`` one template's figures;
``issue ID --segment SEG`` gives one coupon of template ID to each customer of the
segment (as ``--user``, default the first admin: the customers that user may see),
through the same service as the pages and the API.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from kehu.accounts.selectors import command_actor
from kehu.coupons.models import CouponTemplate
from kehu.coupons.selectors import TemplateStats, template_list, template_stats
from kehu.coupons.services import coupon_issue_segment


def _figures(stats: TemplateStats) -> str:
    rate = "—" if stats.rate is None else f"{stats.rate:.1%}"
    return (
        f"issued {stats.issued}, redeemed {stats.redeemed} ({rate}), expired {stats.expired}, "
        f"discount {stats.discount}, revenue {stats.revenue}"
    )


class Command(BaseCommand):
    help = "Coupons (优惠券): list, stats ID, issue ID --segment SEG."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "stats", "issue"))
        parser.add_argument("template_id", nargs="?", type=int)
        parser.add_argument("--segment", type=int, help="issue: the segment's id.")
        parser.add_argument("--user", help="issue: as this user (default: the first admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for template, stats in template_list():
                state = "active" if template.is_active else "inactive"
                self.stdout.write(
                    f"{template.pk:>6}  {state:<8}  {template.name}: {_figures(stats)}"
                )
            return
        template = self._template(options.get("template_id"))
        if action == "stats":
            self.stdout.write(f"{template.name}: {_figures(template_stats(template))}")
            return
        if options.get("segment") is None:
            raise CommandError("issue needs --segment ID")
        actor = command_actor(options.get("user"))
        if actor is None:
            raise CommandError("No such active user (or no admin to act as): give --user.")
        started = time.perf_counter()
        try:
            result = coupon_issue_segment(
                actor=actor, template=template, segment_id=options["segment"]
            )
        except Http404:
            raise CommandError(f"No segment {options['segment']} that {actor} may see.") from None
        except PermissionDenied:
            raise CommandError(f"{actor.username} may not issue coupons.") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"issued {len(result.coupons)} coupons, {len(result.over_limit)} customers at the "
            f"limit, in {time.perf_counter() - started:.2f} s"
        )

    def _template(self, template_id: int | None) -> CouponTemplate:
        if template_id is None:
            raise CommandError("give a template id (see `kehu coupons list`)")
        template = CouponTemplate.objects.filter(pk=template_id).first()
        if template is None:
            raise CommandError(f"no coupon template {template_id}")
        return template
