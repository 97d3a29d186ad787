"""Orders and refunds on the customer timeline."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.money import money_display
from kehu.customers.models import Customer
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.orders.models import Order, Refund


def order_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = Order.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("order", "ordered_at"))
    rows = rows.select_related("created_by").order_by("-ordered_at", "-pk")[:limit]
    return [
        TimelineEvent(
            at=o.ordered_at,
            kind="order",
            pk=o.pk,
            title=_("订单 %(total)s · %(channel)s · %(status)s")
            % {
                "total": money_display(o.total, o.currency),
                "channel": o.get_channel_display(),
                "status": o.get_status_display(),
            },
            detail=f"{o.source} {o.external_id}".strip(),
            actor=o.created_by.label if o.created_by else "",
            url=reverse("orders:detail", args=[o.pk]),
        )
        for o in rows
    ]


def refund_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = Refund.objects.filter(order__customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("refund", "refunded_at"))
    rows = rows.select_related("created_by", "order").order_by("-refunded_at", "-pk")[:limit]
    return [
        TimelineEvent(
            at=r.refunded_at,
            kind="refund",
            pk=r.pk,
            title=_("退款 %(amount)s · 订单 #%(order)d")
            % {"amount": money_display(r.amount, r.order.currency), "order": r.order_id},
            detail=r.reason,
            actor=r.created_by.label if r.created_by else "",
            url=reverse("orders:detail", args=[r.order_id]),
        )
        for r in rows
    ]
