"""The lifecycle analytics page (included by ``kehu.lifecycle.urls`` under ``analytics/``)."""

from django.urls import path

from kehu.lifecycle import analytics_views

urlpatterns = [
    path("", analytics_views.analytics_view, name="analytics"),
]
