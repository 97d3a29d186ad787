from django.urls import path

from kehu.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("new/<int:customer_id>/", views.complaint_create_view, name="create"),
    path("<int:complaint_id>/", views.complaint_detail_view, name="detail"),
    path("<int:complaint_id>/move/", views.complaint_transition_view, name="transition"),
    path("<int:complaint_id>/edit/", views.complaint_update_view, name="update"),
    path("incidents/", views.incident_list_view, name="incidents"),
    path("incidents/new/", views.incident_create_view, name="incident_create"),
    path("incidents/<int:incident_id>/", views.incident_detail_view, name="incident"),
    path("incidents/<int:incident_id>/status/", views.incident_status_view, name="incident_status"),
    path(
        "incidents/<int:incident_id>/updates/", views.incident_update_view, name="incident_update"
    ),
]
