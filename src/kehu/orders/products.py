"""Products: create and change them (orders keep the price and cost they were
recorded with)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.orders.access import can_manage_products
from kehu.orders.inputs import _add, _number, _text
from kehu.orders.models import (
    Product,
)

PRODUCT_FIELDS = ("name", "sku", "category", "price", "unit_cost", "is_active")


def _product_clean(product: Product, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key in ("price", "unit_cost"):
            if key == "price" and value is None:
                _add(errors, key, _("请填写单价。"))
                continue
            value = _number(errors, key, value)
        elif key in ("name", "sku", "category"):
            value = _text(errors, key, value, 200 if key == "name" else 64)
        setattr(product, key, value)
    if "name" in data and not product.name and "name" not in errors:
        _add(errors, "name", _("请填写名称。"))
    if (
        product.sku
        and "sku" not in errors
        and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists()
    ):
        _add(errors, "sku", _("已有相同货号的产品。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def product_create(*, actor: User, data: Mapping[str, Any]) -> Product:
    if not can_manage_products(actor):
        raise PermissionDenied
    product = Product(created_by=actor, updated_by=actor)
    _product_clean(product, {"name": "", **data})
    product.save()
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, data: Mapping[str, Any], version: int | None = None
) -> Product:
    """Change a product; with ``version``, refused (``ConflictError``) when someone
    saved it since. Orders keep the price and unit cost they were recorded with."""
    if not can_manage_products(actor):
        raise PermissionDenied
    product = Product.objects.select_for_update().get(pk=product.pk)
    if version is not None and version != product.version:
        raise ConflictError(
            _("该产品已被他人修改，请刷新后重试。"),
            details={"current_version": product.version},
        )
    _product_clean(product, data)
    product.version += 1
    product.updated_by = actor
    product.save()
    return product
