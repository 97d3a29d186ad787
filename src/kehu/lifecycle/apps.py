from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "kehu.lifecycle"
    label = "lifecycle"
    verbose_name = _("客户生命周期")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.lifecycle.models import CustomerFlag, CustomerStage, StageChange

        # A merged customer's history moves to the survivor; its current stages and
        # flags only where the survivor has none for the same model / flag.
        register_relation(StageChange)
        register_relation(CustomerStage, unique=("model_id",))
        register_relation(CustomerFlag, unique=("flag_id",))

        from kehu.customers.timeline import register_timeline_source
        from kehu.lifecycle.timeline import stage_change_events

        register_timeline_source("lifecycle", _("生命周期"), stage_change_events)

        from kehu.lifecycle.services import events_subscribe

        # Recording an order, a refund, an interaction, a complaint or a survey answer
        # re-evaluates that customer at once, in the same transaction.
        events_subscribe()
