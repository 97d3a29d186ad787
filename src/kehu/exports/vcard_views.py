"""vCard downloads: one customer (the customer page's button) or the ticked ones."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kehu.accounts.models import User
from kehu.accounts.selectors import request_actor
from kehu.customers.access import access_customer
from kehu.customers.selectors import customers_visible_to
from kehu.exports.access import access_export
from kehu.exports.lists import export_list_get
from kehu.exports.lists.customers import selection_ids
from kehu.exports.models import ExportFormat, ExportRecord, ExportStatus
from kehu.exports.services import CONTENT_TYPES
from kehu.exports.vcards import vcards_text


def _vcard_response(actor: User, customers: list, filename: str) -> HttpResponse:  # type: ignore[type-arg]
    export_list = export_list_get("customers")
    access_export(actor, export_list)
    text = vcards_text(customers, viewer=actor)
    now = timezone.now()
    ExportRecord.objects.create(
        user=actor,
        list_key="customers",
        filters={"ids": ",".join(str(c.pk) for c in customers)[:5000]},
        columns=["vcard"],
        file_format=ExportFormat.VCF,
        status=ExportStatus.DONE,
        rows=len(customers),
        rows_total=len(customers),
        finished_at=now,
    )
    response = HttpResponse(text.encode(), content_type=CONTENT_TYPES[ExportFormat.VCF])
    response["Content-Disposition"] = f'attachment; filename="{filename}.vcf"'
    return response


@login_required
def vcard_customer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    access_export(actor)
    customer = access_customer(actor, customer_id)
    return _vcard_response(actor, [customer], f"customer-{customer.pk}")


@login_required
def vcard_selection_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    access_export(actor)
    ids = selection_ids(",".join(request.GET.getlist("ids")))
    customers = list(customers_visible_to(actor).filter(pk__in=ids[:2000]).order_by("-pk"))
    return _vcard_response(actor, customers, f"customers-{timezone.localdate():%Y%m%d}")
