from django.urls import path

from kehu.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.campaigns_view, name="campaigns"),
    path("new/", views.campaign_new_view, name="new"),
    path("<int:campaign_id>/", views.campaign_detail_view, name="detail"),
    path("<int:campaign_id>/cancel/", views.campaign_cancel_view, name="cancel"),
    path("templates/", views.templates_view, name="templates"),
    path("templates/new/", views.template_edit_view, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit_view, name="template_edit"),
    path(
        "templates/<int:template_id>/delete/",
        views.template_delete_view,
        name="template_delete",
    ),
    path("consent/<int:customer_id>/", views.consent_view, name="consent"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
