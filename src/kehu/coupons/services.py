"""Every write to coupon templates and the issuing of coupons.

``coupon_issue`` gives one coupon of a template to each of many customers at once:
thousands in a few statements (the per-customer limit read with one grouped query,
the codes checked and inserted in bulk). It is the one way coupons are made: by
hand on the customer page, to a segment, with a campaign, and — from the apps above
— by a retention playbook's step or for loyalty points (``source``). Redeeming is in
``redemption``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.core.sql import chunks, datetime_adapter, values_in, values_insert_returning
from kehu.coupons.access import can_issue, can_manage_templates
from kehu.coupons.codes import codes_new
from kehu.coupons.models import Coupon, CouponKind, CouponSource, CouponTemplate
from kehu.customers.access import visibility_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import Customer
from kehu.orders.models import Product

MAX_ISSUE = 100_000  # customers in one call
CHUNK = 5_000

TEMPLATE_FIELDS = (
    "name",
    "kind",
    "value",
    "threshold",
    "valid_from",
    "valid_until",
    "valid_days",
    "per_customer_limit",
    "points_cost",
    "is_active",
)


# --- templates -----------------------------------------------------------------------------


def _template_clean(template: CouponTemplate, products: Sequence[int] | None) -> list[Product]:
    errors: dict[str, list[str]] = {}
    if template.value is None or template.value <= 0:
        errors.setdefault("value", []).append(_("面值必须大于 0。"))
    elif template.kind == CouponKind.PERCENT and template.value > 100:
        errors.setdefault("value", []).append(_("折扣不能超过 100%。"))
    if template.threshold is None or template.threshold < 0:
        errors.setdefault("threshold", []).append(_("使用门槛不能为负数。"))
    if template.valid_days is None and template.valid_until is None:
        errors.setdefault("valid_until", []).append(_("请填写失效时间，或领取后有效天数。"))
    if template.valid_days is not None and template.valid_days < 1:
        errors.setdefault("valid_days", []).append(_("有效天数至少为 1 天。"))
    if (
        template.valid_from is not None
        and template.valid_until is not None
        and template.valid_from >= template.valid_until
    ):
        errors.setdefault("valid_until", []).append(_("失效时间必须晚于生效时间。"))
    found: list[Product] = []
    if products is not None:
        ids = sorted({int(pk) for pk in products})
        found = list(Product.objects.filter(pk__in=ids))
        if len(found) != len(ids):
            errors.setdefault("products", []).append(_("有商品不存在。"))
    if errors:
        raise ValidationError(errors)
    template.full_clean(exclude=["products"])
    return found


@transaction.atomic
def template_create(
    *, actor: User, data: Mapping[str, Any], products: Sequence[int] = ()
) -> CouponTemplate:
    """A new template from ``data`` (``TEMPLATE_FIELDS``); ``products`` limit it to
    orders containing one of them (none: every order)."""
    if not can_manage_templates(actor):
        raise PermissionDenied
    template = CouponTemplate(**{k: v for k, v in data.items() if k in TEMPLATE_FIELDS})
    template.created_by = template.updated_by = actor
    found = _template_clean(template, products)
    template.save()
    template.products.set(found)
    return template


@transaction.atomic
def template_update(
    *,
    actor: User,
    template: CouponTemplate,
    data: Mapping[str, Any],
    version: int | None = None,
    products: Sequence[int] | None = None,
) -> CouponTemplate:
    """Change a template as the user saw it at ``version`` (``ConflictError`` when it
    changed since). Coupons already issued keep their validity; value, threshold and
    products are read from the template when a coupon is redeemed."""
    if not can_manage_templates(actor):
        raise PermissionDenied
    locked = CouponTemplate.objects.select_for_update().get(pk=template.pk)
    if version is not None and locked.version != version:
        raise ConflictError(
            _("该优惠券模板已被他人修改（当前为第 %(version)d 版），请刷新后重试。")
            % {"version": locked.version},
            details={"current_version": locked.version},
        )
    for key, value in data.items():
        if key in TEMPLATE_FIELDS:
            setattr(locked, key, value)
    found = _template_clean(locked, products)
    locked.version += 1
    locked.updated_by = actor
    locked.save()
    if products is not None:
        locked.products.set(found)
    return locked


# --- issuing -------------------------------------------------------------------------------


def coupon_validity(
    template: CouponTemplate, issued_at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    """When a coupon issued at ``issued_at`` may be used: from, until."""
    if template.valid_days is not None:
        return issued_at, issued_at + dt.timedelta(days=template.valid_days)
    assert template.valid_until is not None
    return template.valid_from, template.valid_until


@dataclass
class IssueResult:
    coupons: list[Coupon] = field(default_factory=list)
    # Customers left out because they already hold as many as the template allows.
    over_limit: list[int] = field(default_factory=list)


# Sources whose coupons someone else decided on (the member paid points for them; the
# manager who wrote the playbook chose its coupon): whoever hands them over needs no
# right to issue coupons freely, only to see the customer.
DECIDED_SOURCES = frozenset({"points", "playbook"})


def _check_issue(actor: User, template: CouponTemplate, source: str) -> None:
    if not can_issue(actor) and source not in DECIDED_SOURCES:
        raise PermissionDenied
    if source not in CouponSource.values:
        raise ValidationError({"source": [_("未知的来源。")]})
    if not template.is_active:
        raise ValidationError(_("该优惠券模板已停用，不能发放。"))
    ended = template.valid_until is not None and template.valid_until <= timezone.now()
    if template.valid_days is None and ended:
        raise ValidationError(_("该优惠券模板已过期，不能发放。"))


def _visible_ids(actor: User, ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(ids, CHUNK):
        found.update(
            Customer.objects.filter(visibility_q(actor), deleted_at__isnull=True)
            .filter(pk__in=values_in(part, "int"))
            .values_list("pk", flat=True)
        )
    return found


def _held(template: CouponTemplate, ids: Sequence[int]) -> dict[int, int]:
    held: dict[int, int] = {}
    for part in chunks(ids, CHUNK):
        rows = (
            Coupon.objects.filter(template=template, customer_id__in=values_in(part, "int"))
            .values("customer_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "n")
        )
        held.update(rows)
    return held


def _taken(codes: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for part in chunks(codes, CHUNK):
        taken.update(
            Coupon.objects.filter(code__in=values_in(part, "text")).values_list("code", flat=True)
        )
    return taken


COLUMNS = (
    "template_id",
    "customer_id",
    "code",
    "issued_at",
    "valid_from",
    "valid_until",
    "source",
    "source_id",
    "issued_by_id",
)


def _insert(rows: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """Insert ``rows``; a code another request took meanwhile is drawn again. The
    rows as written and ``{code: id}``, from the insert itself."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                written: dict[str, int] = {}
                for part in chunks(rows, CHUNK):
                    written.update(values_insert_returning(Coupon, COLUMNS, part, ("code", "id")))
            return rows, written
        except IntegrityError:
            codes = [row[2] for row in rows]
            taken = _taken(codes)
            if not taken:
                raise
            fresh = iter(codes_new(len(taken), taken=taken | set(codes)))
            rows = [(*row[:2], next(fresh), *row[3:]) if row[2] in taken else row for row in rows]
    raise IntegrityError("coupon codes kept clashing")


@transaction.atomic
def coupon_issue_result(
    *,
    actor: User,
    template: CouponTemplate,
    customer_ids: Iterable[int],
    source: str,
    source_id: int | None = None,
) -> IssueResult:
    """``coupon_issue`` with the customers left out over the template's limit.

    A customer the actor may not see refuses the whole call (``Customer.DoesNotExist``
    semantics: ``ValidationError`` on ``customer_ids``), as does an inactive or expired
    template; a customer holding as many as the template allows is left out."""
    _check_issue(actor, template, source)
    ids = list(dict.fromkeys(int(pk) for pk in customer_ids))
    if len(ids) > MAX_ISSUE:
        raise ValidationError({"customer_ids": [_("一次最多发放 %(n)d 张。") % {"n": MAX_ISSUE}]})
    if not ids:
        return IssueResult()
    # One issue of a template at a time: the per-customer limit holds under concurrency.
    template = CouponTemplate.objects.select_for_update().get(pk=template.pk)
    visible = _visible_ids(actor, ids)
    missing = [pk for pk in ids if pk not in visible]
    if missing:
        raise ValidationError(
            {"customer_ids": [_("客户不存在或无权查看：%(ids)s") % {"ids": missing[:10]}]}
        )
    result = IssueResult()
    if template.per_customer_limit:
        held = _held(template, ids)
        result.over_limit = [pk for pk in ids if held.get(pk, 0) >= template.per_customer_limit]
        ids = [pk for pk in ids if held.get(pk, 0) < template.per_customer_limit]
    if not ids:
        return result
    now = timezone.now()
    valid_from, valid_until = coupon_validity(template, now)
    codes = codes_new(len(ids))
    taken = _taken(codes)
    if taken:
        fresh = iter(codes_new(len(taken), taken=taken | set(codes)))
        codes = [next(fresh) if code in taken else code for code in codes]
    adapt = datetime_adapter()
    at = adapt(now)
    start = adapt(valid_from) if valid_from is not None else None
    end = adapt(valid_until)
    rows = [
        (template.pk, pk, code, at, start, end, source, source_id, actor.pk)
        for pk, code in zip(ids, codes, strict=True)
    ]
    rows, written = _insert(rows)
    issued: list[Coupon] = []
    for _template, customer_id, code, *_rest in rows:
        # Built from what was written (positional: the fields' order), not read back.
        coupon = Coupon(  # type: ignore[misc]  # positional: stubs misread them
            written[code], template.pk, customer_id, code, now, valid_from, valid_until,
            source, source_id, actor.pk, None, None, None, None,
        )  # fmt: skip
        coupon.template = template
        issued.append(coupon)
    result.coupons = sorted(issued, key=lambda c: c.pk)
    return result


def coupon_issue(
    *,
    actor: User,
    template: CouponTemplate,
    customer_ids: Iterable[int],
    source: str,
    source_id: int | None = None,
) -> list[Coupon]:
    """Give one coupon of ``template`` to each customer (``customer_ids``, who must be
    visible to ``actor``); the coupons made, in id order. ``source`` says how
    (``CouponSource``), ``source_id`` which segment, campaign, run or ledger entry."""
    result = coupon_issue_result(
        actor=actor,
        template=template,
        customer_ids=customer_ids,
        source=source,
        source_id=source_id,
    )
    return result.coupons


def segment_customer_ids(actor: User, segment_id: int) -> list[int]:
    """The customers of a segment the actor may see (``Http404`` otherwise), among the
    customers the actor may see."""
    audience = audience_for(actor, "segment", segment_id)
    return list(
        Customer.objects.filter(visibility_q(actor), deleted_at__isnull=True)
        .filter(audience.q)
        .values_list("pk", flat=True)[: MAX_ISSUE + 1]
    )


def coupon_issue_segment(*, actor: User, template: CouponTemplate, segment_id: int) -> IssueResult:
    """One coupon to each customer of a segment the actor may see (``Http404``
    otherwise), among the customers the actor may see."""
    ids = segment_customer_ids(actor, segment_id)
    return coupon_issue_result(
        actor=actor,
        template=template,
        customer_ids=ids,
        source=CouponSource.SEGMENT,
        source_id=segment_id,
    )


def coupon_issue_hand(*, actor: User, template: CouponTemplate, customer: Customer) -> Coupon:
    """One coupon to one customer, by hand; refused over the template's limit."""
    result = coupon_issue_result(
        actor=actor, template=template, customer_ids=[customer.pk], source=CouponSource.HAND
    )
    if result.over_limit:
        raise ValidationError(
            _("这位客户已领取 %(n)d 张该优惠券，达到每人限领数量。")
            % {"n": template.per_customer_limit}
        )
    return result.coupons[0]
