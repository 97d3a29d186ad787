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
