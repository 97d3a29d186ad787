"""The sale forms: parsing and presentation only; the rules are ``order_upsert``'s.

The sale form's lines are posted as parallel lists (``line_product``,
``line_quantity``, ``line_price``, ``line_cost``, ``line_discount``): a line added or
removed by htmx is a row more or less, with no management form to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kehu.core.dates import BusinessDateTimeField
from kehu.orders.models import Channel, PaymentStatus, Product
from kehu.orders.sales import SaleLine

LINE_KEYS = ("product", "quantity", "price", "cost", "discount")
MAX_FORM_LINES = 50


def _styled(form: forms.Form) -> None:
    for item in form.fields.values():
        css = "form-select" if isinstance(item.widget, forms.Select) else "form-control"
        item.widget.attrs.setdefault("class", css)


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class SaleForm(forms.Form):
    ordered_at = BusinessDateTimeField(label=_lazy("下单时间"))
    channel = forms.ChoiceField(label=_lazy("渠道"), choices=Channel.choices)
    payment_status = forms.ChoiceField(label=_lazy("收款状态"), choices=PaymentStatus.choices)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "ordered_at": _now_local(),
                "channel": Channel.STORE,
                "payment_status": PaymentStatus.PAID,
            },
        )
        super().__init__(*args, **kwargs)
        _styled(self)


@dataclass
class LineRow:
    """A line as the form shows it again: the product, the text typed, its errors."""

    product: Product
    quantity: str = "1"
    price_input: str = ""
    cost_input: str = ""
    discount_input: str = "0"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, product: Product) -> LineRow:
        cost = "" if product.unit_cost is None else str(product.unit_cost)
        return cls(product, "1", str(product.price), cost, "0")


def _decimal(text: str) -> Decimal | None:
    cleaned = re.sub(r"[\s,，¥￥]", "", text)
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite():
        raise ValueError
    return value


def sale_lines(data: QueryDict) -> tuple[list[LineRow], list[SaleLine], bool]:
    """The posted lines: rows to show again, the lines for the service, and whether
    every line was readable (a number that is not one is said on its row)."""
    columns = {key: data.getlist(f"line_{key}") for key in LINE_KEYS}
    count = min(len(columns["product"]), MAX_FORM_LINES)
    ids = []
    for raw in columns["product"][:count]:
        try:
            ids.append(int(raw))
        except ValueError:
            ids.append(0)
    products = Product.objects.in_bulk([pk for pk in ids if pk > 0])
    rows: list[LineRow] = []
    lines: list[SaleLine] = []
    readable = True

    def cell(key: str, index: int) -> str:
        values = columns[key]
        return values[index].strip()[:40] if index < len(values) else ""

    for index, pk in enumerate(ids):
        product = products.get(pk)
        if product is None:
            readable = False
            continue
        row = LineRow(
            product,
            cell("quantity", index),
            cell("price", index),
            cell("cost", index),
            cell("discount", index),
        )
        rows.append(row)
        try:
            quantity = _decimal(row.quantity)
            price = _decimal(row.price_input)
            cost = _decimal(row.cost_input)
            discount = _decimal(row.discount_input) or Decimal("0.00")
        except ValueError:
            row.errors.append(_("请填写有效的数字。"))
            readable = False
            continue
        if quantity is None:
            row.errors.append(_("请填写数量。"))
            readable = False
            continue
        lines.append(SaleLine(product.pk, quantity, price, cost, discount))
    return rows, lines, readable


def line_errors(rows: list[LineRow], errors: dict[str, list[str]]) -> list[str]:
    """Put the service's ``lines.N.field`` messages on their rows; the rest returned."""
    rest: list[str] = []
    for key, messages in errors.items():
        match = re.fullmatch(r"lines\.(\d+)\.\w+", key)
        if match and int(match.group(1)) < len(rows):
            rows[int(match.group(1))].errors.extend(messages)
        else:
            rest.extend(messages)
    return rest


class QuickCustomerForm(forms.Form):
    """A new customer at the counter: a name and a phone."""

    name = forms.CharField(label=_lazy("姓名"), max_length=200)
    phone = forms.CharField(label=_lazy("手机"), max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")


class QuickSaleForm(forms.Form):
    customer = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    product = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    amount = forms.DecimalField(
        label=_lazy("金额"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    payment_status = forms.ChoiceField(
        label=_lazy("收款状态"), choices=PaymentStatus.choices, initial=PaymentStatus.PAID
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["amount"].widget.attrs.update(inputmode="decimal")
