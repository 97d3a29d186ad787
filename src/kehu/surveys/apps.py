from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kehu.surveys"
    label = "surveys"
    verbose_name = _("满意度调查")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.surveys.models import Invitation, Response, Satisfaction

        register_relation(Invitation)
        register_relation(Response)
        # One latest satisfaction per customer: the survivor keeps its own.
        register_relation(Satisfaction, unique=("slot",))

        from kehu.customers.timeline import register_timeline_source
        from kehu.surveys.selectors import survey_events

        register_timeline_source("survey", _("调查"), survey_events)

        from kehu.core.events import subscribe
        from kehu.surveys.services import complaint_closed

        subscribe("complaint_closed", "surveys.invite_after_complaint", complaint_closed)

        from kehu.core.texts import message_register
        from kehu.surveys.texts import LOW_SCORE_MESSAGE, low_score_notes, low_score_title

        message_register(LOW_SCORE_MESSAGE, title=low_score_title, notes=low_score_notes)
