from django.urls import path

from kehu.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.list_view, name="list"),
]
