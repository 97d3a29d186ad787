from django.urls import path

from kehu.care import views

app_name = "care"

urlpatterns = [
    path("", views.agenda_view, name="agenda"),
    path("build/", views.agenda_build_view, name="build"),
    path("greetings/", views.greetings_send_view, name="greetings"),
    path("items/", views.items_bulk_view, name="items"),
    path("rules/", views.rules_view, name="rules"),
    path("rules/new/", views.rule_edit_view, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit_view, name="rule_edit"),
    path("festivals/", views.festivals_view, name="festivals"),
    path("festivals/new/", views.festival_edit_view, name="festival_new"),
    path("festivals/<int:festival_id>/", views.festival_edit_view, name="festival_edit"),
    path("cadences/new/", views.cadence_edit_view, name="cadence_new"),
    path("cadences/<int:cadence_id>/", views.cadence_edit_view, name="cadence_edit"),
]
