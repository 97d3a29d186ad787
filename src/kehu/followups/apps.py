from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "kehu.followups"
    label = "followups"
    verbose_name = _("回访任务")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.followups.models import Task

        register_relation(Task)

        from kehu.customers.timeline import register_timeline_source
        from kehu.followups.selectors import task_events

        register_timeline_source("task", _("回访"), task_events)

        from kehu.followups import texts

        texts.register()

        from kehu.core.events import subscribe_many
        from kehu.followups.services import tasks_follow_owner

        subscribe_many("owner_changed", "followups.tasks_follow_owner", tasks_follow_owner)
