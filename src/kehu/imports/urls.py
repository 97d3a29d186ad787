from django.urls import path

from kehu.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list_view, name="list"),
    path("template/<str:kind>/", views.import_template_view, name="template"),
    path("<int:job_id>/", views.import_detail_view, name="detail"),
    path("<int:job_id>/mapping/", views.import_mapping_view, name="mapping"),
    path("<int:job_id>/check/", views.import_check_view, name="check"),
    path("<int:job_id>/progress/", views.import_progress_view, name="progress"),
    path("<int:job_id>/resume/", views.import_resume_view, name="resume"),
    path("<int:job_id>/summary/", views.import_summary_view, name="summary"),
    path("<int:job_id>/undo/", views.import_undo_view, name="undo"),
    path("<int:job_id>/errors/", views.import_errors_view, name="errors"),
]
