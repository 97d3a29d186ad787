from django.urls import path

from kehu.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("list/", views.list_view, name="list"),
    path("forecast/", views.forecast_view, name="forecast"),
    path("new/", views.create_view, name="create"),
    path("<int:opportunity_id>/", views.detail_view, name="detail"),
    path("<int:opportunity_id>/edit/", views.edit_view, name="edit"),
    path("<int:opportunity_id>/move/", views.move_view, name="move"),
    path("<int:opportunity_id>/won/", views.win_view, name="win"),
    path("<int:opportunity_id>/lost/", views.lose_view, name="lose"),
    path("<int:opportunity_id>/delete/", views.delete_view, name="delete"),
]
