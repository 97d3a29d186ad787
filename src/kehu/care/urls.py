from django.urls import path

from kehu.care import views

app_name = "care"

urlpatterns = [
    path("", views.agenda_view, name="agenda"),
]
