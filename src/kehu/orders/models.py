"""Products, orders with their lines, refunds and the history of pushed orders.

Money is ``Decimal`` with two places, in the order's currency (``KEHU_CURRENCY``,
CNY by default). An order's ``total`` is its revenue: the sum of its lines
(quantity × unit price − discount), or the amount a system without a product
catalogue pushed. Its ``cost`` is known only when every line has a unit cost; the
gross profit of an order without a known cost is unknown (``None``), never zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel
from kehu.customers.models import Customer
from kehu.customers.pinyin import pinyin_readings

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """Round to the cent, half up (四舍五入)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def default_currency() -> str:
    return str(settings.KEHU_CURRENCY)


class Channel(models.TextChoices):
    """Where the order was placed (销售渠道)."""

    ONLINE_SHOP = "online_shop", _("网店")
    STORE = "store", _("门店")
    SALES_REP = "sales_rep", _("销售代表")
    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    DEALER = "dealer", _("经销商")
    OTHER = "other", _("其他")


class OrderStatus(models.TextChoices):
    """``paid`` and ``cancelled`` are given; refund records make an order
    ``partially_refunded`` or ``refunded``."""

    PAID = "paid", _("已支付")
    CANCELLED = "cancelled", _("已取消")
    REFUNDED = "refunded", _("已退款")
    PARTIALLY_REFUNDED = "partially_refunded", _("部分退款")


class PaymentStatus(models.TextChoices):
    """How much of the order the customer has paid (收款状态). Whether it was refunded or
    cancelled is the order's ``status``; a sale on credit (赊账) is still a purchase."""

    PAID = "paid", _("已付款")
    PARTIAL = "partial", _("部分付款")
    UNPAID = "unpaid", _("未付款")


# What a client may say about an order; the refund states follow from refund records.
GIVEN_STATUSES = (OrderStatus.PAID, OrderStatus.CANCELLED)
# Orders that count as purchases (lifecycle facts, customer value): paid, and paid with
# part of it refunded (counted net of the refund).
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


def purchases_where() -> str:
    """SQL for "the order is a purchase", for the passes below the ORM. On SQLite
    ``+status`` keeps the planner off the ``(status, ordered_at)`` index: a read of
    purchases goes by customer or scans the table, never walks every paid order of the
    business in time order (one table lookup each)."""
    statuses = ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)
    column = "+status" if connection.vendor == "sqlite" else "status"
    return f"{column} IN ({statuses})"


def effective_status(given: str, total: Decimal, refunded: Decimal) -> str:
    if given == OrderStatus.CANCELLED:
        return OrderStatus.CANCELLED
    if refunded > 0:
        return OrderStatus.REFUNDED if refunded >= total else OrderStatus.PARTIALLY_REFUNDED
    return OrderStatus.PAID


class ProductCategory(TimeStampedModel):
    """A category of the catalogue (商品分类), optionally under a parent category.
    A product's ``category`` text mirrors its category's name (the API and the order
    ingest read that text)."""

    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级分类"),
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("商品分类")
        verbose_name_plural = _("商品分类")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="product_category_name_in_parent",
                violation_error_message=_("同一上级分类下已有同名分类。"),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="product_category_top_name",
                violation_error_message=_("已有同名的顶级分类。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=200)
    sku = models.CharField(
        _("货号"), max_length=64, blank=True, help_text=_("其他系统用它指代产品；不可重复")
    )
    category = models.CharField(_("类别"), max_length=64, blank=True)
    price = models.DecimalField(_("单价"), default=Decimal("0.00"), max_digits=14, decimal_places=2)
    unit_cost = models.DecimalField(
        _("单位成本"),
        null=True,
        blank=True,
        help_text=_("未知则留空"),
        max_digits=14,
        decimal_places=2,
    )
    is_active = models.BooleanField(_("在售"), default=True)
    catalog_category = models.ForeignKey(
        ProductCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name=_("商品分类"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # What the sale form's product search matches: the name and SKU in lower case, the
    # name's full pinyin and its initials ("longjing lj"); set on every save.
    search_key = models.CharField(
        max_length=600, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        ordering = ["category", "name", "id"]
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        indexes = [models.Index(fields=["category", "name"], name="product_category_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["sku"],
                condition=~Q(sku=""),
                name="product_sku_once",
                violation_error_message=_("已有相同货号的产品。"),
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="product_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = product_search_key(self.name, self.sku)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "sku"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)


def product_search_key(name: str, sku: str) -> str:
    """Name and SKU in lower case, then the name's pinyin run together and its initials
    (every reading pypinyin and the surname table give), for a substring search."""
    parts = [name.strip().lower(), sku.strip().lower()]
    for syllables in pinyin_readings(name, person=False):
        parts += ["".join(syllables), "".join(s[0] for s in syllables)]
    return " ".join(dict.fromkeys(p for p in parts if p))[:600]


class Order(TimeStampedModel):
    # Customers are soft-deleted, and merges move their orders to the survivor; only a
    # deliberate hard delete (an admin's, a demo reset) takes the orders with it, like
    # every other record of the customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,  # served by order_customer_time
    )
    # The pushing system and the order's id there: (source, external_id) is unique,
    # so a system may push the same order again without creating a duplicate.
    source = models.CharField(_("外部系统"), max_length=32, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    ordered_at = models.DateTimeField(_("下单时间"))
    channel = models.CharField(
        _("渠道"), max_length=16, choices=Channel.choices, default=Channel.OTHER
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PAID
    )
    payment_status = models.CharField(
        _("收款状态"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PAID,
        db_default=PaymentStatus.PAID,
    )
    currency = models.CharField(_("币种"), max_length=3, default=default_currency)
    total = models.DecimalField(_("订单金额"), max_digits=14, decimal_places=2)
    cost = models.DecimalField(_("成本"), null=True, blank=True, max_digits=14, decimal_places=2)
    refunded_total = models.DecimalField(
        _("已退款"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    # SHA-256 of the order as last pushed: the same order sent again changes nothing.
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        indexes = [
            models.Index(fields=["customer", "-ordered_at", "-id"], name="order_customer_time"),
            models.Index(fields=["-ordered_at", "-id"], name="order_time"),
            models.Index(fields=["channel", "-ordered_at"], name="order_channel_time"),
            models.Index(fields=["status", "-ordered_at"], name="order_status_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="order_external_id_once",
                violation_error_message=_("该外部系统中已有相同外部编号的订单。"),
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=models.F("total")),
                name="order_refunds_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}" if self.external_id else f"#{self.pk}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == OrderStatus.CANCELLED

    @property
    def revenue(self) -> Decimal:
        """What the order brought in before refunds (nothing when cancelled)."""
        return Decimal("0.00") if self.is_cancelled else self.total

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - (Decimal("0.00") if self.is_cancelled else self.refunded_total)

    @property
    def gross_profit(self) -> Decimal | None:
        """Revenue minus cost; ``None`` when the cost is not known."""
        if self.cost is None:
            return None
        return self.total - self.cost

    @property
    def refundable(self) -> Decimal:
        """What may still be refunded."""
        return Decimal("0.00") if self.is_cancelled else self.total - self.refunded_total

    @property
    def label(self) -> str:
        return self.external_id or f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", db_index=False
    )  # served by order_line_position
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("单价"), max_digits=14, decimal_places=2)
    discount = models.DecimalField(
        _("折扣"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    # The product's unit cost when the order was recorded (or the one pushed with it).
    unit_cost = models.DecimalField(
        _("单位成本"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}"

    @property
    def cost(self) -> Decimal | None:
        if self.unit_cost is None:
            return None
        return cents(self.quantity * self.unit_cost)


class RefundKind(models.TextChoices):
    REFUND = "refund", _("仅退款")
    RETURN = "return", _("退货退款")


class Refund(models.Model):
    """Money paid back on an order (a refund, or a return with its refund)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    kind = models.CharField(
        _("类型"), max_length=10, choices=RefundKind.choices, default=RefundKind.REFUND
    )
    amount = models.DecimalField(_("退款金额"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("原因"), max_length=500)
    refunded_at = models.DateTimeField(_("退款时间"))
    # The refund's id in the pushing system: the same refund sent twice is recorded once.
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["refunded_at", "id"]
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["order", "external_id"],
                condition=~Q(external_id=""),
                name="refund_external_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} −{self.amount}"


class OrderRevision(models.Model):
    """What an order looked like before a push changed it (``version`` is the version
    that was replaced)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    changed_fields = models.JSONField(default=list)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "-version"]
        verbose_name = _("订单修改记录")
        verbose_name_plural = _("订单修改记录")
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="order_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.version}"
