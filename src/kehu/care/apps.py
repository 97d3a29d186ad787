from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "kehu.care"
    label = "care"
    verbose_name = _("客户关怀")

    def ready(self) -> None:
        from kehu.care.models import CareItem
        from kehu.customers.merge import register_relation

        # A merged customer's care lines move to the survivor, except those the
        # survivor already has for the same rule and day.
        register_relation(CareItem, unique=("rule_id", "occurs_on"))

        from kehu.care.texts import TASK_MESSAGE, task_notes, task_title
        from kehu.core.texts import message_register

        message_register(TASK_MESSAGE, title=task_title, notes=task_notes)
