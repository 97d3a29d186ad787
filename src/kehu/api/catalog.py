"""/api/v1/product-categories: the catalogue's categories (商品分类).

Everyone reads them (like products); admins and managers change them, through the
same services as the category page (``kehu.orders.catalog``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from kehu.api.auth import actor_of
from kehu.api.customers import MAX_ID, DbId, Storable
from kehu.api.errors import ApiError, error_responses
from kehu.orders.catalog import (
    access_category,
    category_create,
    category_delete,
    category_tree,
    category_update,
)
from kehu.orders.models import ProductCategory

router = Router(tags=["products"])

CategoryName = Annotated[str, Field(min_length=1, max_length=64), Storable]
Position = Annotated[int, Field(ge=0, le=100_000)]


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None = Field(description="null: a top-level category.")
    position: int
    depth: int = Field(description="0 for a top-level category.")
    products: int = Field(description="How many products are in it (not its sub-categories).")
    version: int = Field(description="Send it back with a change (optimistic locking).")
    updated_at: dt.datetime


class CategoryListOut(Schema):
    items: list[CategoryOut]


def _out(category: ProductCategory, depth: int = 0, products: int = 0) -> dict[str, Any]:
    return {
        "id": category.pk,
        "name": category.name,
        "parent_id": category.parent_id,
        "position": category.position,
        "depth": depth,
        "products": products,
        "version": category.version,
        "updated_at": category.updated_at,
    }


def _one(category_id: int) -> dict[str, Any]:
    row = next(r for r in category_tree() if r.category.pk == category_id)
    return _out(row.category, row.depth, row.products)


def _parent(parent_id: int | None) -> ProductCategory | None:
    if parent_id is None:
        return None
    parent = ProductCategory.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent_id": [_("没有这个上级分类。")]})
    return parent


def _category_or_404(request: HttpRequest, category_id: int) -> ProductCategory:
    if not 1 <= category_id <= MAX_ID:
        raise ApiError(404, "not_found", _("未找到。"))
    return access_category(actor_of(request), category_id)


class CategoryCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: CategoryName
    parent_id: DbId | None = None
    position: Position = 0


class CategoryPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: CategoryName | None = None
    parent_id: DbId | None = Field(None, description="null: make it a top-level category.")
    position: Position | None = None
    version: DbId = Field(description="The version the client read.")


@router.get(
    "/product-categories",
    response={200: CategoryListOut},
    summary="List product categories",
    description="Every category, each after its parent, in their sort order.",
)
def categories_list(request: HttpRequest) -> Any:
    return {"items": [_out(r.category, r.depth, r.products) for r in category_tree()]}


@router.post(
    "/product-categories",
    response={201: CategoryOut, **error_responses(403)},
    summary="Create a product category (admins and managers)",
)
def categories_create(
    request: HttpRequest, response: HttpResponse, payload: CategoryCreateIn
) -> Any:
    category = category_create(
        actor=actor_of(request),
        name=payload.name,
        parent=_parent(payload.parent_id),
        position=payload.position,
    )
    response["Location"] = f"{request.path.rstrip('/')}/{category.pk}"
    return Status(201, _one(category.pk))


@router.patch(
    "/product-categories/{category_id}",
    response={200: CategoryOut, **error_responses(403, 404, 409)},
    summary="Change a product category (admins and managers)",
    description="Its products' ``category`` text follows a new name. 409 ``conflict`` "
    "when someone saved it since ``version``.",
)
def categories_patch(request: HttpRequest, category_id: int, payload: CategoryPatchIn) -> Any:
    category = _category_or_404(request, category_id)
    given = payload.model_fields_set
    updated = category_update(
        actor=actor_of(request),
        category=category,
        version=payload.version,
        name=payload.name if payload.name is not None else category.name,
        parent=_parent(payload.parent_id) if "parent_id" in given else category.parent,
        position=payload.position if payload.position is not None else category.position,
    )
    return _one(updated.pk)


@router.delete(
    "/product-categories/{category_id}",
    response={204: None, **error_responses(403, 404)},
    summary="Delete an empty product category (admins and managers)",
    description="422 ``invalid`` while it still has products or sub-categories.",
)
def categories_delete(request: HttpRequest, category_id: int) -> Any:
    category = _category_or_404(request, category_id)
    category_delete(actor=actor_of(request), category=category)
    return Status(204, None)


__all__ = ["router"]
