from django.urls import path

from kehu.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.playbook_list_view, name="list"),
    path("new/", views.playbook_edit_view, name="create"),
    path("<int:playbook_id>/", views.playbook_report_view, name="report"),
    path("<int:playbook_id>/edit/", views.playbook_edit_view, name="edit"),
    path("<int:playbook_id>/start-segment/", views.segment_start_view, name="start_segment"),
    path("customers/<int:customer_id>/start/", views.customer_start_view, name="start_customer"),
    path("runs/<int:run_id>/stop/", views.run_stop_view, name="stop"),
]
