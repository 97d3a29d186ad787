from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "kehu.interactions"
    label = "interactions"
    verbose_name = _("跟进记录")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.interactions.models import Interaction

        register_relation(Interaction)

        from kehu.customers.timeline import register_timeline_source
        from kehu.interactions.selectors import interaction_events

        register_timeline_source("interaction", _("跟进"), interaction_events)
