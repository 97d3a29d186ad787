from django.urls import path

from kehu.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.campaigns_view, name="campaigns"),
]
