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

        from kehu.exits.registry import register_exit_context
        from kehu.retention.exit_context import left_during_a_playbook

        # The exit analysis shows apart those who left while a playbook ran.
        register_exit_context("retention", _("离开时正在执行挽留方案"), left_during_a_playbook)
