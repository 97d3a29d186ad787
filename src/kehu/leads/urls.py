from django.urls import path

from kehu.leads import public_views, settings_views, views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list_view, name="list"),
    path("pool/", views.lead_pool_view, name="pool"),
    path("new/", views.lead_create_view, name="create"),
    path("<int:lead_id>/", views.lead_detail_view, name="detail"),
    path("<int:lead_id>/edit/", views.lead_edit_view, name="edit"),
    path("<int:lead_id>/attempts/", views.attempt_view, name="attempt"),
    path("<int:lead_id>/verify/", views.verify_view, name="verify"),
    path("<int:lead_id>/qualify/", views.qualify_view, name="qualify"),
    path("<int:lead_id>/convert/", views.convert_view, name="convert"),
    path("<int:lead_id>/claim/", views.claim_view, name="claim"),
    path("<int:lead_id>/release/", views.release_view, name="release"),
    path("<int:lead_id>/assign/", views.assign_view, name="assign"),
    path("settings/", settings_views.settings_view, name="settings"),
    path("settings/reasons/", settings_views.reason_add_view, name="reason_add"),
    path("settings/reasons/<int:reason_id>/", settings_views.reason_toggle_view, name="reason"),
    path("settings/routes/", settings_views.route_add_view, name="route_add"),
    path(
        "settings/routes/<int:route_id>/delete/",
        settings_views.route_delete_view,
        name="route_delete",
    ),
    path("form/", public_views.public_form_view, name="public_form"),
    path("form/embed/", public_views.public_embed_view, name="public_embed"),
]
