from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "kehu.orders"
    label = "orders"
    verbose_name = _("订单")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.orders.models import Order

        # A merge moves the merged customer's orders (and so their lines, refunds
        # and history) to the survivor; undoing it moves them back.
        register_relation(Order)

        from kehu.customers.ownership import register_deal_source
        from kehu.orders.selectors import last_purchase_at

        # The pool's "no deal for N days" reclaim rule reads the newest purchase.
        register_deal_source(last_purchase_at)

        from kehu.customers.timeline import register_timeline_source
        from kehu.orders.timeline import order_events, refund_events

        register_timeline_source("order", _("订单"), order_events)
        register_timeline_source("refund", _("退款"), refund_events)
