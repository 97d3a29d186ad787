from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValueConfig(AppConfig):
    name = "kehu.value"
    label = "value"
    verbose_name = _("客户价值")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.value.models import CustomerValue

        # A merge moves the merged customer's snapshots to the survivor, except those
        # of runs in which the survivor has its own row.
        register_relation(CustomerValue, unique=("run",))

        from kehu.core.texts import message_register
        from kehu.value.texts import RETENTION_MESSAGE, retention_notes, retention_title

        message_register(RETENTION_MESSAGE, title=retention_title, notes=retention_notes)

        from kehu.care.cadence import TierSource, register_tier_source
        from kehu.value.selectors import latest_tiers
        from kehu.value.services import value_settings

        # Care's contact cadence follows the star tiers: a tier's days come first.
        register_tier_source(
            TierSource(cadence=lambda: value_settings().cadence(), reader=latest_tiers)
        )
