from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "kehu.leads"
    label = "leads"
    verbose_name = _("线索")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.leads.models import Lead

        # A merge moves the merged customer's leads (and so their history) to the survivor.
        register_relation(Lead)

        from kehu.customers.timeline import register_timeline_source
        from kehu.leads.timeline import attempt_events, lead_events

        # A converted lead's history stays visible on its customer's timeline.
        register_timeline_source("lead", _("线索"), lead_events)
        register_timeline_source("lead_attempt", _("线索联系"), attempt_events)
