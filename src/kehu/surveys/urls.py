from django.urls import path

from kehu.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.survey_edit_view, name="create"),
    path("<int:survey_id>/edit/", views.survey_edit_view, name="edit"),
    path("<int:survey_id>/copy/", views.survey_copy_view, name="copy"),
    path("<int:survey_id>/send/", views.segment_send_view, name="segment"),
    path("<int:survey_id>/invitations/", views.invitations_view, name="invitations"),
    path("<int:survey_id>/triggers/", views.triggers_view, name="triggers"),
    path(
        "<int:survey_id>/triggers/<int:trigger_id>/toggle/",
        views.trigger_toggle_view,
        name="trigger_toggle",
    ),
    path("<int:survey_id>/report/", views.report_view, name="report"),
    path("customer/<int:customer_id>/send/", views.send_one_view, name="send_one"),
    path("invitations/<int:invitation_id>/", views.invitation_view, name="invitation"),
    path("responses/<int:response_id>/", views.response_view, name="response"),
    # The public answer page: no login, the token is the key.
    path("a/<str:token>/", views.answer_view, name="answer"),
]
