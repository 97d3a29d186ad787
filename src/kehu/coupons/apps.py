from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "kehu.coupons"
    label = "coupons"
    verbose_name = _("优惠券")

    def ready(self) -> None:
        from kehu.coupons.models import Coupon
        from kehu.customers.merge import register_relation

        # A merge moves the merged customer's coupons (used or not) to the survivor.
        register_relation(Coupon)

        from kehu.coupons.redemption import order_coupon_field
        from kehu.orders.hooks import register_order_field

        # The sale form, the quick sale and POST /api/v1/orders take ``coupon_code``:
        # the coupon is redeemed in the order's own transaction, or the sale is refused.
        register_order_field(order_coupon_field())
