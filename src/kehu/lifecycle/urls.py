from django.urls import include, path

from kehu.lifecycle import admin_views, apply_views, flag_views, views

app_name = "lifecycle"

urlpatterns = [
    path("customer/<int:customer_id>/card/", views.customer_card_view, name="card"),
    path("customer/<int:customer_id>/move/", views.stage_move_view, name="move"),
    path("customer/<int:customer_id>/flags/", views.customer_flags_view, name="flags"),
    path("analytics/", include("kehu.lifecycle.analytics_urls")),
    # Admin pages: models, stages, rules (admin_views).
    path("models/", admin_views.models_view, name="models"),
    path("models/new/", admin_views.model_new_view, name="model_new"),
    path("models/<slug:key>/", admin_views.model_view, name="model"),
    path("models/<slug:key>/toggle/", admin_views.model_toggle_view, name="model_toggle"),
    path("models/<slug:key>/edit/", admin_views.model_edit_view, name="model_edit"),
    path("models/<slug:key>/stages/new/", admin_views.stage_new_view, name="stage_new"),
    path("models/<slug:key>/apply/", apply_views.apply_view, name="apply"),
    path(
        "models/<slug:key>/apply/<int:run_id>/",
        apply_views.apply_progress_view,
        name="apply_progress",
    ),
    path(
        "models/<slug:key>/stages/<int:stage_id>/",
        admin_views.stage_edit_view,
        name="stage_edit",
    ),
    path("models/<slug:key>/rules/new/", admin_views.rule_new_view, name="rule_new"),
    path(
        "models/<slug:key>/rules/new/preview/",
        admin_views.rule_new_preview_view,
        name="rule_new_preview",
    ),
    path("rules/<int:rule_id>/", admin_views.rule_edit_view, name="rule"),
    path("rules/<int:rule_id>/preview/", admin_views.rule_preview_view, name="rule_preview"),
    path("rules/<int:rule_id>/toggle/", admin_views.rule_toggle_view, name="rule_toggle"),
    # Manual flags (flag_views).
    path("flags/", flag_views.flags_view, name="flag_list"),
    path("flags/<slug:key>/", flag_views.flag_edit_view, name="flag_edit"),
    path("flags/<slug:key>/retire/", flag_views.flag_retire_view, name="flag_retire"),
]
