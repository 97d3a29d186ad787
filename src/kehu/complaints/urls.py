from django.urls import path

from kehu.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue_view, name="queue"),
]
