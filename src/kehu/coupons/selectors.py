"""Reads of templates, coupons and their statistics, scoped by what the reader sees.

Statistics per template: issued, redeemed, the redemption rate (redeemed of issued),
expired unused, the discount given and the revenue of the orders that used them —
their total, less refunds, cancelled orders counting nothing. Counts are over every
coupon of the template (a template's page is for those who run coupons, not a list
of customers); a customer's coupons are only the ones the reader may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from kehu.accounts.models import User
from kehu.coupons.access import coupons_visible_to
from kehu.coupons.models import Coupon, CouponTemplate
from kehu.customers.models import Customer
from kehu.orders.models import OrderStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TemplateStats:
    issued: int
    redeemed: int
    expired: int
    discount: Decimal
    revenue: Decimal

    @property
    def usable(self) -> int:
        return self.issued - self.redeemed - self.expired

    @property
    def rate(self) -> float | None:
        """Redeemed of issued, 0..1; ``None`` before any was issued."""
        return self.redeemed / self.issued if self.issued else None

    @property
    def rate_percent(self) -> float | None:
        return None if self.rate is None else self.rate * 100


def _stats_aggregates(now: dt.datetime) -> dict[str, Any]:
    live = ~Q(coupons__order__status=OrderStatus.CANCELLED)
    return {
        "n_issued": Count("coupons"),
        "n_redeemed": Count("coupons", filter=Q(coupons__redeemed_at__isnull=False)),
        "n_expired": Count(
            "coupons",
            filter=Q(coupons__redeemed_at__isnull=True, coupons__valid_until__lte=now),
        ),
        "sum_discount": Sum("coupons__discount"),
        "sum_revenue": Sum(
            F("coupons__order__total") - F("coupons__order__refunded_total"),
            filter=live & Q(coupons__order__isnull=False),
        ),
    }


def _stats_of(row: Any) -> TemplateStats:
    return TemplateStats(
        issued=row.n_issued,
        redeemed=row.n_redeemed,
        expired=row.n_expired,
        discount=row.sum_discount or ZERO,
        revenue=row.sum_revenue or ZERO,
    )


def template_list(*, active: bool | None = None) -> list[tuple[CouponTemplate, TemplateStats]]:
    """Every template with its statistics (one query)."""
    templates = CouponTemplate.objects.all()
    if active is not None:
        templates = templates.filter(is_active=active)
    rows = templates.annotate(**_stats_aggregates(timezone.now())).order_by(
        "-is_active", "-created_at", "-id"
    )
    return [(row, _stats_of(row)) for row in rows]


def template_stats(template: CouponTemplate) -> TemplateStats:
    row = CouponTemplate.objects.filter(pk=template.pk).annotate(
        **_stats_aggregates(timezone.now())
    )
    return _stats_of(row.get())


def template_weeks(template: CouponTemplate, *, weeks: int = 26) -> list[dict[str, Any]]:
    """Issued and redeemed per week (Monday) for the last ``weeks`` weeks: the chart."""
    since = timezone.now() - dt.timedelta(weeks=weeks)
    issued = dict(
        Coupon.objects.filter(template=template, issued_at__gte=since)
        .annotate(week=TruncWeek("issued_at"))
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    redeemed = dict(
        Coupon.objects.filter(template=template, redeemed_at__gte=since)
        .annotate(week=TruncWeek("redeemed_at"))
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )

    def day(value: Any) -> dt.date:
        return value.date() if isinstance(value, dt.datetime) else value

    counts: dict[dt.date, list[int]] = {}
    for week, n in issued.items():
        counts.setdefault(day(week), [0, 0])[0] += n
    for week, n in redeemed.items():
        counts.setdefault(day(week), [0, 0])[1] += n
    return [
        {"week": week.isoformat(), "issued": pair[0], "redeemed": pair[1]}
        for week, pair in sorted(counts.items())
    ]


def template_coupons(template: CouponTemplate, user: User, *, limit: int = 50) -> list[Coupon]:
    """The newest coupons of the template among the customers ``user`` may see."""
    return list(
        coupons_visible_to(user)
        .filter(template=template)
        .select_related("customer", "order")
        .order_by("-issued_at", "-id")[:limit]
    )


def customer_coupons(user: User, customer: Customer) -> QuerySet[Coupon]:
    """The customer's coupons as ``user`` may see them, newest first."""
    return (
        coupons_visible_to(user)
        .filter(customer=customer)
        .select_related("template", "order")
        .order_by("-issued_at", "-id")
    )
