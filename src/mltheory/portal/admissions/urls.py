from django.urls import path

from . import views

app_name = "admissions"
urlpatterns = [
    path("", views.apply, name="apply"),
    path("form/", views.application_form, name="form"),
    path("status/", views.status, name="status"),
    path("respond/<int:pk>/", views.respond, name="respond"),
    path("files/<int:pk>/<slug:kind>/", views.download_file, name="file"),
    path("review/", views.review_index, name="review_index"),
    path("review/course/<int:course_id>/", views.review_course, name="review_course"),
    path("review/course/<int:course_id>/export.csv", views.export_csv, name="export_csv"),
    path("review/decide/<int:pk>/", views.decide, name="decide"),
]
