from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "kehu.complaints"
    label = "complaints"
    verbose_name = _("投诉")

    def ready(self) -> None:
        from kehu.complaints.models import Complaint
        from kehu.customers.merge import register_relation

        # A merge moves the merged customer's complaints (with their steps and
        # escalations) to the survivor.
        register_relation(Complaint)

        from kehu.complaints.selectors import complaint_events
        from kehu.customers.timeline import register_timeline_source

        register_timeline_source("complaint", _("投诉"), complaint_events)

        from kehu.complaints import texts

        texts.register()
