"""The catalogue (商品): categories, and products saved with their category.

Products are written by ``orders.services.product_create`` / ``product_update`` (the
API's services too); this module adds what the product pages need around them: a
category from the tree (``Product.catalog_category``, its name mirrored in the
``category`` text the API and the order ingest read), deactivate / reactivate with
the version check, the categories themselves, and the selectors of the pages. Only
admins and managers (``access.can_manage_products``) write here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError
from kehu.core.paging import PageNav
from kehu.customers.selectors import PageOutOfRange
from kehu.orders.access import can_manage_products
from kehu.orders.models import Product, ProductCategory
from kehu.orders.services import product_create, product_update

MAX_DEPTH = 3  # top level, a sub-category, a sub-sub-category


def _check(actor: User) -> None:
    if not can_manage_products(actor):
        raise PermissionDenied


# --- products -------------------------------------------------------------------------


@transaction.atomic
def product_save(
    *,
    actor: User,
    data: Mapping[str, Any],
    category: ProductCategory | None,
    product: Product | None = None,
    version: int | None = None,
) -> Product:
    """Create (``product`` None) or change a product, in ``category`` (None: none).

    ``data`` is what ``product_create`` / ``product_update`` take (name, sku, price,
    unit_cost, is_active); a change with ``version`` is refused with ``ConflictError``
    when someone saved the product since."""
    _check(actor)
    fields = {**data, "category": category.name if category else ""}
    if product is None:
        saved = product_create(actor=actor, data=fields)
    else:
        saved = product_update(actor=actor, product=product, data=fields, version=version)
    if saved.catalog_category_id != (category.pk if category else None):
        Product.objects.filter(pk=saved.pk).update(catalog_category=category)
        saved.catalog_category = category
    return saved


@transaction.atomic
def product_set_active(
    *, actor: User, product: Product, active: bool, version: int | None
) -> Product:
    """Deactivate (no longer offered for new sales; orders keep it) or reactivate."""
    return product_update(actor=actor, product=product, data={"is_active": active}, version=version)


def access_product(user: User, product_id: object) -> Product:
    """The product, for a user who may manage products (``PermissionDenied`` otherwise,
    ``Http404`` when there is no such product)."""
    _check(user)
    try:
        pk = int(str(product_id))
    except (TypeError, ValueError):
        raise Http404 from None
    product = (
        Product.objects.select_related("catalog_category", "updated_by").filter(pk=pk).first()
        if 1 <= pk <= 2**63 - 1
        else None
    )
    if product is None:
        raise Http404
    return product


@dataclass(frozen=True)
class CatalogFilters:
    q: str = ""
    category: int | None = None  # the category and its sub-categories
    active: bool | None = None


@dataclass
class ProductPage(PageNav):
    items: list[Product]
    page: int
    page_size: int
    count: int
    num_pages: int = 1
    count_is_capped: bool = False
    filters: CatalogFilters = field(default_factory=CatalogFilters)


def _descendants(category_id: int) -> list[int]:
    ids = [category_id]
    frontier = [category_id]
    for _level in range(MAX_DEPTH):
        frontier = list(
            ProductCategory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        if not frontier:
            break
        ids.extend(frontier)
    return ids


def product_page(
    filters: CatalogFilters, *, page: int = 1, page_size: int | None = None
) -> ProductPage:
    """One page of the catalogue, by name: search name or SKU, filter by category (with
    its sub-categories) and by active."""
    page_size = page_size or settings.KEHU_PAGE_SIZE
    if page < 1:
        raise PageOutOfRange
    products: QuerySet[Product] = Product.objects.all()
    if filters.q:
        products = products.filter(Q(name__icontains=filters.q) | Q(sku__icontains=filters.q))
    if filters.category:
        products = products.filter(catalog_category_id__in=_descendants(filters.category))
    if filters.active is not None:
        products = products.filter(is_active=filters.active)
    count = products.count()
    num_pages = max(1, -(-count // page_size))
    if page > num_pages:
        raise PageOutOfRange
    offset = (page - 1) * page_size
    rows = products.select_related("catalog_category").order_by("name", "id")
    return ProductPage(
        items=list(rows[offset : offset + page_size]),
        page=page,
        page_size=page_size,
        count=count,
        num_pages=num_pages,
        filters=filters,
    )


# --- categories -----------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    category: ProductCategory
    depth: int
    products: int

    @property
    def label(self) -> str:
        return "\u3000" * self.depth + self.category.name


def category_tree() -> list[CategoryRow]:
    """Every category, each under its parent, in their order, with product counts."""
    rows = list(
        ProductCategory.objects.annotate(product_count=Count("products")).order_by(
            "position", "name", "id"
        )
    )
    children: dict[int | None, list[ProductCategory]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    tree: list[CategoryRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            tree.append(CategoryRow(row, depth, row.product_count))  # type: ignore[attr-defined]
            walk(row.pk, depth + 1)

    walk(None, 0)
    return tree


def _depth(category: ProductCategory | None) -> int:
    depth = 0
    while category is not None:
        depth += 1
        category = category.parent
    return depth


def _category_clean(
    category: ProductCategory, name: str, parent: ProductCategory | None, position: int
) -> None:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写分类名称。")]
    elif len(name) > 64:
        errors["name"] = [_("最多 %(n)d 个字符。") % {"n": 64}]
    ancestor = parent
    while ancestor is not None:
        if category.pk is not None and ancestor.pk == category.pk:
            errors["parent"] = [_("不能把分类放在它自己或它的下级分类之下。")]
            break
        ancestor = ancestor.parent
    if "parent" not in errors and _depth(parent) >= MAX_DEPTH:
        errors["parent"] = [_("分类最多 %(n)d 级。") % {"n": MAX_DEPTH}]
    if position < 0 or position > 100_000:
        errors["position"] = [_("排序应在 0 到 100000 之间。")]
    siblings = ProductCategory.objects.filter(parent=parent, name=name).exclude(pk=category.pk)
    if name and "name" not in errors and siblings.exists():
        errors["name"] = [_("同一上级分类下已有同名分类。")]
    if errors:
        raise ValidationError(errors)
    category.name = name
    category.parent = parent
    category.position = position


@transaction.atomic
def category_create(
    *, actor: User, name: str, parent: ProductCategory | None = None, position: int = 0
) -> ProductCategory:
    _check(actor)
    category = ProductCategory()
    _category_clean(category, name, parent, position)
    category.save()
    return category


@transaction.atomic
def category_update(
    *,
    actor: User,
    category: ProductCategory,
    version: int,
    name: str,
    parent: ProductCategory | None,
    position: int,
) -> ProductCategory:
    """Rename, move or reorder a category; its products' ``category`` text follows the
    new name. Refused (``ConflictError``) when someone saved it since ``version``."""
    _check(actor)
    current = ProductCategory.objects.select_for_update().filter(pk=category.pk).first()
    if current is None:
        raise ConflictError(_("该分类已被删除。"), details={"deleted": True})
    if current.version != version:
        raise ConflictError(
            _("该分类已被他人修改，您的修改未保存：请核对最新内容后再提交。"),
            details={"current_version": current.version},
        )
    old_name = current.name
    _category_clean(current, name, parent, position)
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    if current.name != old_name:
        Product.objects.filter(catalog_category=current).update(
            category=current.name, version=F("version") + 1, updated_at=timezone.now()
        )
    return current


@transaction.atomic
def category_delete(*, actor: User, category: ProductCategory) -> None:
    """Remove an empty category (no products, no sub-categories)."""
    _check(actor)
    if category.children.exists():
        raise ValidationError(_("该分类下还有子分类，请先移走或删除它们。"))
    if category.products.exists():
        raise ValidationError(_("该分类下还有商品，请先把商品移到其他分类。"))
    ProductCategory.objects.filter(pk=category.pk).delete()


def access_category(user: User, category_id: object) -> ProductCategory:
    _check(user)
    try:
        pk = int(str(category_id))
    except (TypeError, ValueError):
        raise Http404 from None
    category = ProductCategory.objects.filter(pk=pk).first() if 1 <= pk <= 2**63 - 1 else None
    if category is None:
        raise Http404
    return category


def product_category_link(product: Product) -> Product:
    """Point ``catalog_category`` at the category named by the product's ``category``
    text (how the API and older clients name it): the one category of that name, or
    none when no category or several carry it. Keeps the two from disagreeing."""
    matches = list(
        ProductCategory.objects.filter(name=product.category).values_list("pk", flat=True)[:2]
    )
    category_id = matches[0] if product.category and len(matches) == 1 else None
    if product.catalog_category_id != category_id:
        Product.objects.filter(pk=product.pk).update(catalog_category_id=category_id)
        product.catalog_category_id = category_id
    return product
