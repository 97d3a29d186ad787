from django.contrib import admin

from kehu.orders.models import Order, OrderLine, OrderRevision, Product, Refund


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "category", "price", "unit_cost", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("name", "sku")
    readonly_fields = ("created_by", "updated_by", "version")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)
    readonly_fields = ("amount",)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    readonly_fields = ("created_by", "created_at")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """For looking things up; orders are recorded through the API and services, which
    keep totals, refunds, history and the customer's last deal in step."""

    list_display = ("__str__", "customer", "ordered_at", "channel", "status", "total", "cost")
    list_filter = ("status", "channel", "source")
    search_fields = ("external_id",)
    date_hierarchy = "ordered_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    readonly_fields = (
        "total",
        "cost",
        "refunded_total",
        "status",
        "content_hash",
        "version",
        "created_by",
        "updated_by",
    )
    inlines = [OrderLineInline, RefundInline]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OrderRevision)
class OrderRevisionAdmin(admin.ModelAdmin):
    list_display = ("order", "version", "changed_at", "changed_by")
    raw_id_fields = ("order",)
    readonly_fields = ("order", "version", "content", "changed_fields", "changed_at", "changed_by")
