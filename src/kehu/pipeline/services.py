"""Every write to opportunities: create, change, move between phases, win, lose,
delete, and the activity that keeps one from going stale.

Keyword-only, the actor passed in, one transaction each. A change names the version
the user saw: a change made meanwhile is refused (``ConflictError``), never
overwritten. Winning records the order through the orders app's sale service
(``orders.sales.sale_record``, the sale form's), so lifecycle, value and care react to
a won deal exactly as to a sale typed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import users_assignable_by
from kehu.core.dates import business_date_check
from kehu.core.errors import ConflictError, KehuError
from kehu.core.events import CustomerEvent, CustomerEvents
from kehu.customers.models import Customer
from kehu.orders.models import Channel, Order, PaymentStatus, Product
from kehu.orders.sales import Sale, SaleLine, sale_record
from kehu.orders.services import MAX_LINES, MONEY_LIMIT, QUANTITY_LIMIT
from kehu.pipeline.access import can_change, can_create_for
from kehu.pipeline.models import (
    LossReason,
    Opportunity,
    OpportunityLine,
    Phase,
    PhaseChange,
    Status,
)

TEXT_LIMITS = {"name": 200, "competitors": 500, "next_step": 500, "notes": 5000}
EDIT_FIELDS = (
    "name",
    "amount",
    "probability",
    "expected_close_date",
    "competitors",
    "next_step",
    "notes",
)


class ClosedError(KehuError):
    """The opportunity is won or lost already: it no longer moves."""

    code = "closed"
    status = 409


@dataclass(frozen=True, slots=True)
class LineInput:
    """A product of the opportunity; ``unit_price`` defaults to the product's price."""

    product_id: int
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None


# --- checks --------------------------------------------------------------------------


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _money(errors: dict[str, list[str]], key: str, value: Any, limit: Decimal) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        _add(errors, key, _("请输入数字。"))
        return None
    if not number.is_finite() or number < 0 or number >= limit:
        _add(errors, key, _("数值超出范围。"))
        return None
    return number


def _cleaned(data: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields of ``data``, checked; ``ValidationError`` per field."""
    unknown = set(data) - set(EDIT_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key in TEXT_LIMITS:
            text = str(value or "").strip()
            if "\x00" in text or len(text) > TEXT_LIMITS[key]:
                _add(errors, key, _("内容过长或含有无效字符。"))
            clean[key] = text
        elif key == "amount":
            clean[key] = _money(errors, key, value, MONEY_LIMIT)
            if clean[key] is not None:
                clean[key] = clean[key].quantize(Decimal("0.01"))
        elif key == "probability":
            if value is None or value == "":
                clean[key] = None
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                _add(errors, key, _("赢单概率应在 0 到 100 之间。"))
            else:
                clean[key] = value
        elif key == "expected_close_date":
            if value is not None and not isinstance(value, dt.date):
                _add(errors, key, _("请输入日期。"))
            else:
                try:
                    business_date_check(value, key)
                except ValidationError as exc:
                    errors.setdefault(key, []).extend(exc.messages)
                clean[key] = value
    if "name" in clean and not clean["name"] and "name" not in errors:
        _add(errors, "name", _("请填写商机名称。"))
    if errors:
        raise ValidationError(errors)
    return clean


def _lines(lines: Sequence[LineInput]) -> list[OpportunityLine]:
    """Unsaved lines, checked against the catalogue (one query)."""
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("最多 %(n)d 个产品。") % {"n": MAX_LINES}})
    products = Product.objects.in_bulk({line.product_id for line in lines})
    errors: dict[str, list[str]] = {}
    made = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        product = products.get(line.product_id)
        if product is None:
            _add(errors, f"{prefix}.product_id", _("没有这个产品。"))
            continue
        quantity = _money(errors, f"{prefix}.quantity", line.quantity, QUANTITY_LIMIT)
        if quantity is not None:
            quantity = quantity.quantize(Decimal("0.001"))
        if quantity is not None and quantity <= 0:
            _add(errors, f"{prefix}.quantity", _("数量应大于 0。"))
        price = line.unit_price if line.unit_price is not None else product.price
        unit_price = _money(errors, f"{prefix}.unit_price", price, MONEY_LIMIT)
        if quantity is None or quantity <= 0 or unit_price is None:
            continue
        made.append(
            OpportunityLine(
                position=index,
                product=product,
                quantity=quantity.quantize(Decimal("0.001")),
                unit_price=unit_price.quantize(Decimal("0.01")),
            )
        )
    if errors:
        raise ValidationError(errors)
    return made


def _owner(actor: User, owner: User | None, customer: Customer) -> User:
    """The owner: the one named (whom the actor may assign), else the customer's owner
    when the actor may assign them, else the actor."""
    assignable = users_assignable_by(actor)
    if owner is not None:
        if not assignable.filter(pk=owner.pk).exists():
            raise ValidationError({"owner": _("不能把商机分配给该用户。")})
        return owner
    if customer.owner_id and assignable.filter(pk=customer.owner_id).exists():
        assert customer.owner is not None
        return customer.owner
    return actor


def phases_active() -> list[Phase]:
    return list(Phase.objects.filter(is_active=True).order_by("position", "id"))


def _phase(phase: Phase | None) -> Phase:
    if phase is None:
        first = Phase.objects.filter(is_active=True).order_by("position", "id").first()
        if first is None:
            raise ValidationError({"phase": _("还没有启用的销售阶段，请管理员先设置。")})
        return first
    if not phase.is_active:
        raise ValidationError({"phase": _("该销售阶段已停用。")})
    return phase


def _locked(actor: User, opportunity: Opportunity, version: int | None) -> Opportunity:
    """The opportunity, locked, as the user saw it at ``version`` (None: as it is)."""
    if not can_change(actor, opportunity):
        raise PermissionDenied
    locked = (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("customer", "phase")
        .get(pk=opportunity.pk)
    )
    if locked.deleted_at is not None or locked.customer.deleted_at is not None:
        raise PermissionDenied
    if version is not None and locked.version != version:
        raise ConflictError(
            _("该商机已被他人修改（当前为第 %(version)d 版），请刷新后重试。")
            % {"version": locked.version},
            details={"current_version": locked.version},
        )
    return locked


def _open(opportunity: Opportunity) -> None:
    if opportunity.status == Status.WON:
        raise ClosedError(_("该商机已赢单，不能再更改阶段。"))
    if opportunity.status == Status.LOST:
        raise ClosedError(_("该商机已丢单，不能再更改阶段。"))


def _seconds_since(moment: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - moment).total_seconds()))


# --- writes --------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    customer: Customer,
    name: str,
    amount: Decimal | None = None,
    phase: Phase | None = None,
    probability: int | None = None,
    expected_close_date: dt.date | None = None,
    competitors: str = "",
    next_step: str = "",
    notes: str = "",
    owner: User | None = None,
    lines: Sequence[LineInput] = (),
) -> Opportunity:
    """A new open opportunity for ``customer`` in ``phase`` (default: the first). The
    amount, when not given, is the lines' total. Raises ``PermissionDenied`` when the
    actor may not change the customer, ``ValidationError`` per field."""
    if not can_create_for(actor, customer):
        raise PermissionDenied
    fields = _cleaned(
        {
            "name": name,
            "amount": amount,
            "probability": probability,
            "expected_close_date": expected_close_date,
            "competitors": competitors,
            "next_step": next_step,
            "notes": notes,
        }
    )
    made_lines = _lines(lines)
    if fields["amount"] is None and made_lines:
        fields["amount"] = sum((line.amount for line in made_lines), Decimal("0.00"))
    phase = _phase(phase)
    owner = _owner(actor, owner, customer)
    now = timezone.now()
    opportunity = Opportunity.objects.create(
        customer=customer,
        phase=phase,
        owner=owner,
        team_id=owner.team_id,
        phase_entered_at=now,
        last_activity_at=now,
        created_by=actor,
        updated_by=actor,
        **fields,
    )
    for line in made_lines:
        line.opportunity = opportunity
    OpportunityLine.objects.bulk_create(made_lines)
    PhaseChange.objects.create(
        opportunity=opportunity, to_phase=phase, to_status=Status.OPEN, at=now, actor=actor
    )
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    actor: User,
    opportunity: Opportunity,
    version: int,
    data: Mapping[str, Any],
    lines: Sequence[LineInput] | None = None,
    owner: User | None = None,
) -> Opportunity:
    """Change the fields in ``data`` (``EDIT_FIELDS``), the lines (when given: they
    replace the old ones) and the owner (when given) of the opportunity as the user saw
    it at ``version``."""
    locked = _locked(actor, opportunity, version)
    fields = _cleaned(data)
    made_lines = _lines(lines) if lines is not None else None
    for key, value in fields.items():
        setattr(locked, key, value)
    if made_lines is not None:
        locked.lines.all().delete()
        for line in made_lines:
            line.opportunity = locked
        OpportunityLine.objects.bulk_create(made_lines)
        if locked.amount is None and made_lines:
            locked.amount = sum((line.amount for line in made_lines), Decimal("0.00"))
    if owner is not None and owner.pk != locked.owner_id:
        locked.owner = _owner(actor, owner, locked.customer)
        locked.team_id = locked.owner.team_id
    locked.version += 1
    locked.updated_by = actor
    locked.last_activity_at = timezone.now()
    locked.save()
    return locked


@transaction.atomic
def opportunity_move(
    *,
    actor: User,
    opportunity: Opportunity,
    phase: Phase,
    version: int | None = None,
    note: str = "",
) -> Opportunity:
    """Move an open opportunity to ``phase`` (a card dragged to another column). Its
    probability goes back to the phase's default; the move is kept with the time spent
    in the phase left. Moving to the phase it is in changes nothing."""
    locked = _locked(actor, opportunity, version)
    _open(locked)
    if not phase.is_active:
        raise ValidationError({"phase": _("该销售阶段已停用。")})
    if phase.pk == locked.phase_id:
        return locked
    now = timezone.now()
    PhaseChange.objects.create(
        opportunity=locked,
        from_phase_id=locked.phase_id,
        to_phase=phase,
        from_status=Status.OPEN,
        to_status=Status.OPEN,
        at=now,
        actor=actor,
        seconds_in_phase=_seconds_since(locked.phase_entered_at, now),
        note=note[:500],
    )
    Opportunity.objects.filter(pk=locked.pk).update(
        phase=phase,
        probability=None,
        phase_entered_at=now,
        last_activity_at=now,
        version=locked.version + 1,
        updated_by=actor,
        updated_at=now,
    )
    locked.phase, locked.probability, locked.phase_entered_at = phase, None, now
    locked.last_activity_at, locked.version, locked.updated_by = now, locked.version + 1, actor
    return locked


def _close(locked: Opportunity, actor: User, status: str, now: dt.datetime, note: str) -> None:
    PhaseChange.objects.create(
        opportunity=locked,
        from_phase_id=locked.phase_id,
        from_status=Status.OPEN,
        to_status=status,
        at=now,
        actor=actor,
        seconds_in_phase=_seconds_since(locked.phase_entered_at, now),
        note=note[:500],
    )
    locked.status = status
    locked.closed_at = now
    locked.last_activity_at = now
    locked.version += 1
    locked.updated_by = actor


@transaction.atomic
def opportunity_win(
    *,
    actor: User,
    opportunity: Opportunity,
    version: int | None = None,
    ordered_at: dt.datetime | None = None,
    payment_status: str = PaymentStatus.PAID,
) -> Opportunity:
    """Won (赢单): the order is recorded with the sale service — the opportunity's
    products at their prices, or, without products, its amount — and linked to it.
    Refused with a message when it has neither products nor an amount."""
    locked = _locked(actor, opportunity, version)
    _open(locked)
    lines = list(locked.lines.all())
    if not lines and not locked.amount:
        raise ValidationError({"amount": _("赢单需要产品或金额：请先在商机中添加产品或填写金额。")})
    now = timezone.now()
    sale = Sale(
        customer=locked.customer,
        ordered_at=ordered_at or now,
        channel=Channel.SALES_REP,
        payment_status=payment_status,
        lines=[SaleLine(line.product_id, line.quantity, line.unit_price) for line in lines],
        total=None if lines else locked.amount,
    )
    order: Order = sale_record(actor=actor, sale=sale)
    _close(locked, actor, Status.WON, now, "")
    locked.order = order
    if lines:
        locked.amount = order.total
    locked.save()
    return locked


@transaction.atomic
def opportunity_lose(
    *,
    actor: User,
    opportunity: Opportunity,
    reason: LossReason | None,
    note: str = "",
    version: int | None = None,
) -> Opportunity:
    """Lost (丢单), with a reason from the list (``LossReason``) and a note."""
    locked = _locked(actor, opportunity, version)
    _open(locked)
    if reason is None or not reason.is_active:
        raise ValidationError({"loss_reason": _("请选择丢单原因。")})
    note = note.strip()
    if len(note) > 500 or "\x00" in note:
        raise ValidationError({"loss_note": _("内容过长或含有无效字符。")})
    _close(locked, actor, Status.LOST, timezone.now(), note)
    locked.loss_reason = reason
    locked.loss_note = note
    locked.save()
    return locked


@transaction.atomic
def opportunity_delete(*, actor: User, opportunity: Opportunity, version: int) -> None:
    """Delete (soft): the opportunity leaves the board, the list and the forecast."""
    locked = _locked(actor, opportunity, version)
    now = timezone.now()
    Opportunity.objects.filter(pk=locked.pk).update(
        deleted_at=now, deleted_by=actor, version=locked.version + 1, updated_at=now
    )


def opportunities_touch(event: CustomerEvent) -> None:
    """A touch logged with a customer (``interaction_logged``) is activity on the
    customer's open opportunities: their stale flag clears."""
    Opportunity.objects.filter(
        customer_id=event.customer_id, status=Status.OPEN, deleted_at__isnull=True
    ).update(last_activity_at=timezone.now())


FOLLOW_CHUNK = 500


def opportunities_follow_owner(event: CustomerEvents) -> None:
    """``owner_changed``: customers changed hands (claimed, transferred, reclaimed). The
    previous owner's open opportunities on them go to the new owner and their team, as
    the open tasks do; nothing moves to the pool (whoever had them keeps them)."""
    to_user_id = event.data.get("to_user_id")
    if to_user_id is None:
        return
    new_owner = User.objects.filter(pk=to_user_id).first()
    if new_owner is None:
        return
    previous: dict[int, int | None] = event.data.get("previous_owner_ids") or {}
    for start in range(0, len(event.customer_ids), FOLLOW_CHUNK):
        by_owner: dict[int, list[int]] = {}
        for customer_id in event.customer_ids[start : start + FOLLOW_CHUNK]:
            owner_id = previous.get(customer_id)
            if owner_id is not None and owner_id != to_user_id:
                by_owner.setdefault(owner_id, []).append(customer_id)
        for owner_id, owned in by_owner.items():
            Opportunity.objects.filter(
                customer_id__in=owned, owner_id=owner_id, status=Status.OPEN
            ).update(
                owner_id=to_user_id,
                team_id=new_owner.team_id,
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
