from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "kehu.exports"
    label = "exports"
    verbose_name = _("导出")

    def ready(self) -> None:
        from kehu.core.exports import register_export_gate
        from kehu.exports.access import can_export
        from kehu.exports.services import export_record_served

        # Downloads an app below serves itself (the at-risk list's CSV and Excel) obey
        # the per-role export switch and are recorded like every other export.
        register_export_gate(allowed=can_export, recorded=export_record_served)
