from django.urls import path

from kehu.exits import views

app_name = "exits"

urlpatterns = [
    path("", views.analysis_view, name="analysis"),
    path("list/", views.exit_list_view, name="list"),
    path("winback/", views.winback_view, name="winback"),
    path("reasons/", views.reasons_view, name="reasons"),
    path("reasons/<int:reason_id>/", views.reasons_view, name="reason_edit"),
    path("settings/", views.settings_view, name="settings"),
    path("customer/<int:customer_id>/record/", views.exit_record_view, name="record"),
    path("<int:exit_id>/", views.exit_edit_view, name="edit"),
]
