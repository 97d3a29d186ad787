from django.urls import path

from kehu.value import views

app_name = "value"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
]
