from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<slug:offering_slug>/<slug:course_slug>/", views.course_detail, name="course"),
    path(
        "courses/<slug:offering_slug>/<slug:course_slug>/calendar.ics",
        views.course_calendar,
        name="calendar",
    ),
    path(
        "courses/<slug:offering_slug>/<slug:course_slug>/assignments/<int:pk>/",
        views.assignment_detail,
        name="assignment",
    ),
    path("lectures/<int:pk>/slides/", views.lecture_slides, name="lecture_slides"),
    path("assignments/<int:pk>/pdf/", views.assignment_pdf, name="assignment_pdf"),
    path("submissions/<int:pk>/", views.submission_file, name="submission_file"),
]
