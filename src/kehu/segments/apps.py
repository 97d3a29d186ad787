from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "kehu.segments"
    label = "segments"
    verbose_name = _("客户分群")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.segments.models import SegmentMember

        # A merge moves the merged customer's places in static lists to the survivor.
        register_relation(SegmentMember, unique=("segment",))

        from kehu.customers.audiences import register_audience
        from kehu.segments.audience import segment_audience
        from kehu.segments.selectors import segment_choices

        # The customer list and its export take ``?segment=ID``; campaigns and survey
        # sends offer the segments the sender may see.
        register_audience("segment", segment_audience, segment_choices)
