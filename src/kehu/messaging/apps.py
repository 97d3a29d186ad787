from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kehu.messaging"
    label = "messaging"
    verbose_name = _("消息群发")

    def ready(self) -> None:
        from kehu.customers.merge import register_relation
        from kehu.customers.timeline import register_timeline_source
        from kehu.messaging.models import Consent, ConsentEvent, Recipient
        from kehu.messaging.selectors import message_events

        register_relation(Recipient, unique=("campaign",))
        register_relation(Consent, unique=("channel",))
        register_relation(ConsentEvent)
        register_timeline_source("message", _("消息"), message_events)
