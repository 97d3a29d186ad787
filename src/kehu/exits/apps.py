from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExitsConfig(AppConfig):
    name = "kehu.exits"
    label = "exits"
    verbose_name = _("客户退出")

    def ready(self) -> None:
        from kehu.customers.audiences import register_audience
        from kehu.customers.merge import register_relation
        from kehu.exits.models import ExitRecord
        from kehu.exits.services import events_subscribe
        from kehu.exits.winback import winback_audience
        from kehu.orders.policy import register_refund_policy

        # A merge moves the merged customer's exits to the survivor; an open exit (no
        # ``won_back_at``) stays behind when the survivor has one open too.
        register_relation(ExitRecord, unique=("won_back_at",))
        events_subscribe()
        register_audience("winback", winback_audience)

        from kehu.exits.selectors import refund_policy_text

        register_refund_policy(refund_policy_text)
