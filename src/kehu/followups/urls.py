from django.urls import path

from kehu.followups import views

app_name = "followups"

urlpatterns = [
    path("", views.my_work_view, name="my_work"),
    path("customer/<int:customer_id>/new/", views.task_create_view, name="create"),
    path("<int:task_id>/finish/", views.task_finish_view, name="finish"),
    path("bulk/", views.tasks_bulk_view, name="bulk"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/read/", views.notifications_read_view, name="notifications_read"),
    path("notifications/<int:notification_id>/", views.notification_open_view, name="open"),
    path("calendar/", views.calendar_feed_view, name="calendar_feed"),
    path("calendar/<str:token>.ics", views.calendar_ics_view, name="calendar"),
]
