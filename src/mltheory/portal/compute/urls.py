from django.urls import path

from . import views

app_name = "compute"
urlpatterns = [
    path("", views.experiments, name="experiments"),
    path("gallery/", views.gallery, name="gallery"),
    path("submit/<slug:name>/", views.submit, name="submit"),
    path("upload/", views.upload, name="upload"),
    path("runs/", views.my_runs, name="my_runs"),
    path("runs/status.json", views.my_runs_status, name="my_runs_status"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
    path("runs/<int:pk>/files/<path:path>", views.run_file, name="run_file"),
    path("runs/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("runs/<int:pk>/rerun/", views.rerun, name="rerun"),
]
