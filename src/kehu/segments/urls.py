from django.urls import path

from kehu.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segments_view, name="list"),
    path("new/", views.segment_new_view, name="new"),
    path("preview/", views.segment_preview_view, name="preview"),
    path("<int:segment_id>/", views.segment_detail_view, name="detail"),
    path("<int:segment_id>/edit/", views.segment_edit_view, name="edit"),
    path("<int:segment_id>/delete/", views.segment_delete_view, name="delete"),
    path("<int:segment_id>/members/search/", views.member_search_view, name="member_search"),
    path("<int:segment_id>/members/add/", views.member_add_view, name="member_add"),
    path(
        "<int:segment_id>/members/<int:customer_id>/remove/",
        views.member_remove_view,
        name="member_remove",
    ),
]
