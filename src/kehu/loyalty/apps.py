from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "kehu.loyalty"
    label = "loyalty"
    verbose_name = _("会员与积分")

    def ready(self) -> None:
        from kehu.core.events import subscribe, subscribe_many
        from kehu.loyalty import earning, referrals
        from kehu.loyalty.coupon_redeem import register_coupons
        from kehu.loyalty.redeemables import register_gifts

        # Orders of a batch earn points (one call per batch); a refund reverses them.
        subscribe_many("order_recorded", "loyalty", earning.orders_earn_event)
        subscribe("order_refunded", "loyalty", earning.order_refund_event)
        subscribe("customer_created", "loyalty", referrals.customer_created_event)
        register_gifts()
        register_coupons()  # coupon templates with a points price
