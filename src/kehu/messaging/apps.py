from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kehu.messaging"
    label = "messaging"
    verbose_name = _("消息群发")
