"""Links from an import's summary to what it wrote, by kind: the customers, orders or
products themselves, the customer of each interaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.imports.models import ImportJob


def list_link(job: ImportJob) -> tuple[str, str]:
    """The list the written records are found in: (label, url)."""
    if job.kind == "orders":
        return _("查看订单"), reverse("orders:list")
    if job.kind == "products":
        return _("查看商品"), reverse("orders:products")
    return _("查看客户"), reverse("customers:list")


def record_links(job: ImportJob, ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, url) for each record id (an interaction links to its customer)."""
    ids = list(ids)
    if job.kind == "orders":
        return [(pk, reverse("orders:detail", args=[pk])) for pk in ids]
    if job.kind == "products":
        return [(pk, reverse("orders:product_edit", args=[pk])) for pk in ids]
    if job.kind == "interactions":
        from kehu.interactions.models import Interaction

        customers = dict(Interaction.objects.filter(pk__in=ids).values_list("pk", "customer_id"))
        return [
            (pk, reverse("customers:detail", args=[customers[pk]])) for pk in ids if pk in customers
        ]
    return [(pk, reverse("customers:detail", args=[pk])) for pk in ids]


def created_title(job: ImportJob) -> str:
    if job.kind == "customers":
        return _("新建的客户（前 20 位）：")
    return _("新建的记录（前 20 条）：")
