from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "kehu.retention"
    label = "retention"
    verbose_name = _("挽留方案")

    def ready(self) -> None:
        from kehu.core import events
        from kehu.core.texts import message_register
        from kehu.retention import outcomes, texts, triggers

        message_register(texts.STEP_MESSAGE, title=texts.step_title, notes=texts.step_notes)
        events.subscribe_many("order_recorded", "retention", outcomes.runs_saved_by_orders)
        events.subscribe_many("stage_entered", "retention", triggers.stage_entered)
