from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("客户")

    def ready(self) -> None:
        from kehu.customers import models
        from kehu.customers.merge import register_relation

        # What moves to the survivor when two customers are merged. Other apps
        # register their own relations the same way.
        register_relation(models.Contact)
        register_relation(models.CustomerPhone, unique=("number",))
        register_relation(models.CustomerChange)
        register_relation(models.OwnerChange)
        register_relation(models.PoolNotice, unique=("owner", "rule", "due_at"))
        register_relation(models.PoolBlock, unique=("user",))

        from kehu.customers.selectors import field_change_events, owner_change_events
        from kehu.customers.timeline import register_timeline_source

        register_timeline_source("owner", _("负责人变更"), owner_change_events)
        register_timeline_source("change", _("资料修改"), field_change_events)

        from kehu.customers import texts

        texts.register()
