from django.urls import path

from kehu.interactions import views

app_name = "interactions"

urlpatterns = [
    path("customer/<int:customer_id>/new/", views.interaction_create_view, name="create"),
]
