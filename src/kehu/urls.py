from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kehu.api.urls import api
from kehu.shell import views as shell_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False)),
    path("accounts/", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("work/", include("kehu.followups.urls")),
    path("interactions/", include("kehu.interactions.urls")),
    path("orders/", include("kehu.orders.urls")),
    path("complaints/", include("kehu.complaints.urls")),
    path("surveys/", include("kehu.surveys.urls")),
    path("care/", include("kehu.care.urls")),
    path("pipeline/", include("kehu.pipeline.urls")),
    path("lifecycle/", include("kehu.lifecycle.urls")),
    path("value/", include("kehu.value.urls")),
    path("segments/", include("kehu.segments.urls")),
    path("messages/", include("kehu.messaging.urls")),
    path("imports/", include("kehu.imports.urls")),
    path("exports/", include("kehu.exports.urls")),
    path("leads/", include("kehu.leads.urls")),
    path("channels/", include("kehu.channels.urls")),
    path("coupons/", include("kehu.coupons.urls")),
    path("loyalty/", include("kehu.loyalty.urls")),
    path("exits/", include("kehu.exits.urls")),
    path("retention/", include("kehu.retention.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("favicon.ico", shell_views.favicon),
]

handler403 = shell_views.permission_denied
handler404 = shell_views.page_not_found
handler500 = shell_views.server_error
