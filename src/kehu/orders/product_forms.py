"""Product and category page forms: parsing and presentation; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.orders.catalog import CatalogFilters, CategoryRow
from kehu.orders.models import Product, ProductCategory

MONEY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(field.widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs.setdefault("class", css)


FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def _amount(text: str | None) -> str | None:
    """An amount as typed (digits, maybe full-width, maybe with ``,``); ``None`` if empty."""
    cleaned = (text or "").strip().translate(FULL_WIDTH).replace(",", "").replace("¥", "")
    return cleaned or None


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Categories as an indented tree (the order of ``category_tree``)."""

    def __init__(self, tree: list[CategoryRow], **kwargs: Any) -> None:
        super().__init__(queryset=ProductCategory.objects.all(), **kwargs)
        labels = {row.category.pk: row.label for row in tree}
        self.choices = [("", self.empty_label or "—")] + [
            (pk, label) for pk, label in labels.items()
        ]


class ProductForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200, required=False)
    sku = forms.CharField(
        label=_("货号"),
        max_length=64,
        required=False,
        help_text=_("其他系统用它指代产品；不可重复"),
    )
    category = forms.Field(label=_("商品分类"), required=False)  # replaced in __init__
    # Text, not DecimalField: the service parses amounts and says what is wrong with
    # them together with the other fields' errors.
    price = forms.CharField(
        label=_("单价"), max_length=32, required=False, widget=forms.TextInput(attrs=MONEY_ATTRS)
    )
    unit_cost = forms.CharField(
        label=_("单位成本"),
        max_length=32,
        required=False,
        help_text=_("未知则留空"),
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, tree: list[CategoryRow], product: Product | None = None, **kwargs: Any
    ) -> None:
        if product is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": product.name,
                "sku": product.sku,
                "category": product.catalog_category_id,
                "price": product.price,
                "unit_cost": product.unit_cost,
                "version": product.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryChoiceField(
            tree, label=_("商品分类"), required=False, empty_label=_("（无分类）")
        )
        _styled(self)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "data": {
                "name": data.get("name") or "",
                "sku": data.get("sku") or "",
                "price": _amount(data.get("price")),
                "unit_cost": _amount(data.get("unit_cost")),
            },
            "category": data.get("category"),
        }


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), max_length=100, required=False)
    category = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("1", _("在售")), ("0", _("已停用"))],
    )

    def __init__(self, *args: Any, tree: list[CategoryRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = forms.TypedChoiceField(
            label=_("商品分类"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("全部分类"))] + [(row.category.pk, row.label) for row in tree],
        )
        _styled(self)
        self.fields["q"].widget.attrs["placeholder"] = _("名称或货号")

    def filters(self) -> CatalogFilters:
        """What was valid of the filters (a bad value is ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return CatalogFilters(
            q=(data.get("q") or "").strip(),
            category=data.get("category"),
            active=None if active in (None, "") else active == "1",
        )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64, required=False)
    parent = forms.Field(label=_("上级分类"), required=False)  # replaced in __init__
    position = forms.IntegerField(label=_("排序"), min_value=0, max_value=100_000, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        tree: list[CategoryRow],
        category: ProductCategory | None = None,
        **kwargs: Any,
    ) -> None:
        if category is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": category.name,
                "parent": category.parent_id,
                "position": category.position,
                "version": category.version,
            }
        kwargs.setdefault("auto_id", f"category-{category.pk if category else 'new'}-%s")
        super().__init__(*args, **kwargs)
        self.fields["parent"] = CategoryChoiceField(
            tree, label=_("上级分类"), required=False, empty_label=_("（顶级分类）")
        )
        _styled(self)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("name") or "",
            "parent": data.get("parent"),
            "position": data.get("position") or 0,
        }
