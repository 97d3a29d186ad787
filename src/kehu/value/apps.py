from typing import Any

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

        # Care's contact cadence follows the star tiers: a tier's days come first.
        # Imported when first called: the value services load scipy (2 s), which a
        # web process, a job worker or a ``kehu`` command must not pay for at start.
        def cadence() -> dict[int, int]:
            from kehu.value.services import value_settings

            return value_settings().cadence()

        def reader() -> Any:
            from kehu.value.selectors import latest_tiers

            return latest_tiers()

        register_tier_source(TierSource(cadence=cadence, reader=reader))
