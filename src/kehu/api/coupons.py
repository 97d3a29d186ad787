"""/api/v1/coupons: coupon templates (优惠券模板) — list, create, read, change; issue
coupons to customers or a segment; redeem a coupon on an order.

Templates are for admins and managers to change; analysts, and salespeople when
``KEHU_COUPONS_SALES_ISSUE`` is on, read them; other roles get 403 whatever the id.
Issuing needs the right to issue and customers the caller may see (one that is not
refuses the whole call, 422). Redeeming needs the right to change the order; a
refused coupon (expired, used, another customer's, below the threshold, no
qualifying products) answers 422 ``invalid`` with the reason in ``errors.code`` and
changes nothing. An order may also carry ``coupon_code`` when it is created with
POST /api/v1/orders.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import DbId, Storable, Text100
from kehu.api.errors import error_responses
from kehu.api.orders import order_or_404
from kehu.core.money import money_text
from kehu.coupons.access import access_template, can_issue, can_view_templates
from kehu.coupons.models import Coupon, CouponKind, CouponSource, CouponTemplate
from kehu.coupons.redemption import coupon_redeem
from kehu.coupons.selectors import TemplateStats, template_list, template_stats
from kehu.coupons.services import (
    MAX_ISSUE,
    coupon_issue_result,
    segment_customer_ids,
    template_create,
    template_update,
)

router = Router(tags=["coupons"])

Amount = Annotated[Decimal, Field(description='A decimal string such as "20.00".')]


class CouponStatsOut(Schema):
    issued: int
    redeemed: int
    expired: int = Field(description="Issued, not used, and past their date.")
    redemption_rate: float | None = Field(description="redeemed / issued; null before any.")
    discount: str = Field(description="What the redeemed coupons took off their orders.")
    revenue: str = Field(description="Net revenue of the orders that used them.")


class TemplateOut(Schema):
    id: int
    name: str
    kind: CouponKind
    value: str = Field(description="An amount off, or a percentage off (kind percent).")
    threshold: str
    product_ids: list[int] = Field(description="Empty: every product.")
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    valid_days: int | None = Field(description="Days from the issue; else the fixed dates.")
    per_customer_limit: int = Field(description="0: no limit.")
    is_active: bool
    version: int
    stats: CouponStatsOut
    created_at: dt.datetime
    updated_at: dt.datetime


class TemplateFields(Schema):
    model_config = ConfigDict(extra="forbid")
    threshold: Amount | None = None
    product_ids: list[DbId] | None = Field(None, max_length=500)
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    valid_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    per_customer_limit: Annotated[int, Field(ge=0, le=1000)] | None = None
    is_active: bool | None = None


class TemplateIn(TemplateFields):
    name: Text100
    kind: CouponKind = CouponKind.AMOUNT
    value: Amount


class TemplatePatchIn(TemplateFields):
    name: Text100 | None = None
    kind: CouponKind | None = None
    value: Amount | None = None
    version: int | None = Field(None, description="The version read: 409 when it changed.")


class IssueIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[DbId] = Field(
        default_factory=list, max_length=MAX_ISSUE, description="Or give ``segment_id``."
    )
    segment_id: DbId | None = Field(None, description="Every customer of the segment you see.")


class CouponOut(Schema):
    id: int
    code: str
    template_id: int
    customer_id: int
    issued_at: dt.datetime
    valid_from: dt.datetime | None
    valid_until: dt.datetime
    source: str
    source_id: int | None
    status: str = Field(description="usable, pending (not yet valid), expired or redeemed.")
    redeemed_at: dt.datetime | None
    order_id: int | None
    discount: str | None


class IssueOut(Schema):
    issued: list[CouponOut]
    over_limit: list[int] = Field(description="Customers left out: they hold enough already.")


class RedeemIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(min_length=1, max_length=64), Storable]
    order_id: DbId


def _stats_out(stats: TemplateStats) -> dict[str, Any]:
    return {
        "issued": stats.issued,
        "redeemed": stats.redeemed,
        "expired": stats.expired,
        "redemption_rate": stats.rate,
        "discount": money_text(stats.discount),
        "revenue": money_text(stats.revenue),
    }


def _template_out(template: CouponTemplate, stats: TemplateStats) -> dict[str, Any]:
    return {
        "id": template.pk,
        "name": template.name,
        "kind": template.kind,
        "value": money_text(template.value),
        "threshold": money_text(template.threshold),
        "product_ids": sorted(p.pk for p in template.products.all()),
        "valid_from": template.valid_from,
        "valid_until": template.valid_until,
        "valid_days": template.valid_days,
        "per_customer_limit": template.per_customer_limit,
        "is_active": template.is_active,
        "version": template.version,
        "stats": _stats_out(stats),
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def coupon_out(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": coupon.pk,
        "code": coupon.code,
        "template_id": coupon.template_id,
        "customer_id": coupon.customer_id,
        "issued_at": coupon.issued_at,
        "valid_from": coupon.valid_from,
        "valid_until": coupon.valid_until,
        "source": coupon.source,
        "source_id": coupon.source_id,
        "status": coupon.status,
        "redeemed_at": coupon.redeemed_at,
        "order_id": coupon.order_id,
        "discount": money_text(coupon.discount),
    }


def _data(payload: TemplateFields) -> tuple[dict[str, Any], list[int] | None]:
    data = {k: getattr(payload, k) for k in payload.model_fields_set if k != "version"}
    products = data.pop("product_ids", None)
    for key in ("name", "kind", "value", "threshold", "per_customer_limit", "is_active"):
        if key in data and data[key] is None:
            data.pop(key)
    return data, products


@router.get("/coupons", response={200: list[TemplateOut], **error_responses(403)})
def coupons_templates(request: HttpRequest) -> Any:
    """The coupon templates with their statistics."""
    actor = actor_of(request)
    if not can_view_templates(actor):
        raise PermissionDenied
    return [_template_out(t, stats) for t, stats in template_list()]


@router.post("/coupons", response={201: TemplateOut, **error_responses(403)})
def coupons_template_create(
    request: HttpRequest, response: HttpResponse, payload: TemplateIn
) -> Any:
    """Create a coupon template (admins and managers)."""
    data, products = _data(payload)
    template = template_create(actor=actor_of(request), data=data, products=products or [])
    response["Location"] = f"/api/v1/coupons/{template.pk}"
    return Status(201, _template_out(template, template_stats(template)))


@router.post(
    "/coupons/redeem",
    response={200: CouponOut, **error_responses(403, 404)},
    summary="Redeem a coupon on an order",
    description=(
        "Exactly once: a used, expired, not yet valid or other customer's coupon, a "
        "cancelled order, an order with a coupon already, below the threshold or without "
        "the template's products answers 422 with the reason and changes nothing. The "
        "same code on the same order again answers 200 with the coupon as it is."
    ),
)
def coupons_redeem(request: HttpRequest, payload: RedeemIn) -> Any:
    order = order_or_404(request, payload.order_id, write=True)
    try:
        coupon = coupon_redeem(actor=actor_of(request), code=payload.code, order=order)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None
    return coupon_out(coupon)


@router.get(
    "/coupons/{coupon_template_id}", response={200: TemplateOut, **error_responses(403, 404)}
)
def coupons_template_read(request: HttpRequest, coupon_template_id: int) -> Any:
    """A coupon template with its statistics."""
    template = access_template(actor_of(request), coupon_template_id)
    return _template_out(template, template_stats(template))


@router.patch(
    "/coupons/{coupon_template_id}",
    response={200: TemplateOut, **error_responses(403, 404, 409)},
)
def coupons_template_update(
    request: HttpRequest, coupon_template_id: int, payload: TemplatePatchIn
) -> Any:
    """Change a coupon template; coupons already issued keep their dates."""
    actor = actor_of(request)
    template = access_template(actor, coupon_template_id, write=True)
    data, products = _data(payload)
    updated = template_update(
        actor=actor, template=template, data=data, version=payload.version, products=products
    )
    return _template_out(updated, template_stats(updated))


@router.post(
    "/coupons/{coupon_template_id}/issue",
    response={201: IssueOut, **error_responses(403, 404)},
    summary="Issue coupons to customers or a segment",
    description=(
        "One coupon each, with its own code, to ``customer_ids`` and the customers of "
        "``segment_id`` you may see (both: all of them). A customer you may not see refuses the "
        "whole call (422); customers who hold the template's limit already are left out "
        "and listed in ``over_limit``."
    ),
)
def coupons_issue(request: HttpRequest, coupon_template_id: int, payload: IssueIn) -> Any:
    actor = actor_of(request)
    if not can_issue(actor):
        raise PermissionDenied
    template = access_template(actor, coupon_template_id)
    ids = list(payload.customer_ids)
    source, source_id = CouponSource.HAND, None
    if payload.segment_id is not None:
        ids += segment_customer_ids(actor, payload.segment_id)
        if not payload.customer_ids:
            source, source_id = CouponSource.SEGMENT, payload.segment_id
    if not ids and payload.segment_id is None:
        raise ValidationError({"customer_ids": [_("请给出客户或分群。")]})
    result = coupon_issue_result(
        actor=actor, template=template, customer_ids=ids, source=source, source_id=source_id
    )
    return Status(
        201,
        {"issued": [coupon_out(c) for c in result.coupons], "over_limit": result.over_limit},
    )


__all__ = ["coupon_out", "router"]
