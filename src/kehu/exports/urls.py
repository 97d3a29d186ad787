from django.urls import path

from kehu.exports import vcard_views, views

app_name = "exports"

urlpatterns = [
    path("", views.export_records_view, name="records"),
    path("settings/", views.export_settings_view, name="settings"),
    path("records/<int:record_id>/", views.export_record_view, name="record"),
    path("records/<int:record_id>/download/", views.export_download_view, name="download"),
    path("vcard/", vcard_views.vcard_selection_view, name="vcard_selection"),
    path("vcard/<int:customer_id>/", vcard_views.vcard_customer_view, name="vcard_customer"),
    path("<slug:list_key>/", views.export_form_view, name="form"),
]
