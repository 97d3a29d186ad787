from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kehu.api.urls import api

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
    path("lifecycle/", include("kehu.lifecycle.urls")),
    path("value/", include("kehu.value.urls")),
    path("messages/", include("kehu.messaging.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
]
