from django.urls import path

from kehu.value import views

app_name = "value"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("at-risk/", views.at_risk_view, name="at_risk"),
    path("at-risk/export.csv", views.at_risk_export_view, name="at_risk_export"),
    path(
        "at-risk/export.xlsx",
        views.at_risk_export_view,
        {"file_format": "xlsx"},
        name="at_risk_export_xlsx",
    ),
    path("at-risk/<int:customer_id>/task/", views.retention_task_view, name="retention_task"),
    path("new-customers/", views.new_customers_view, name="new_customers"),
    path("model/", views.model_view, name="model"),
    path("model/run/", views.run_now_view, name="run_now"),
    path("settings/", views.settings_view, name="settings"),
]
