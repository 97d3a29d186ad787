from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "kehu.pipeline"
    label = "pipeline"
    verbose_name = _("商机")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.pipeline.models import Opportunity

        # A merge moves the merged customer's opportunities to the survivor.
        register_relation(Opportunity)

        from kehu.core.events import subscribe, subscribe_many
        from kehu.pipeline.services import opportunities_follow_owner, opportunities_touch

        # A touch logged with the customer is activity on its open opportunities.
        subscribe("interaction_logged", "pipeline.touch", opportunities_touch)
        # A customer changing hands takes the previous owner's open opportunities along.
        subscribe_many("owner_changed", "pipeline.follow_owner", opportunities_follow_owner)

        from kehu.pipeline import texts

        texts.register()
