from django.urls import path

from kehu.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.compare_view, name="compare"),
    path("costs/", views.costs_view, name="costs"),
    path("costs/<int:cost_id>/", views.costs_view, name="cost_edit"),
    path("costs/<int:cost_id>/delete/", views.cost_delete_view, name="cost_delete"),
]
