from django.urls import path

from . import views

app_name = "seminars"
urlpatterns = [
    path("", views.series, name="series"),
    path("seminars.ics", views.calendar, name="calendar"),
    path("talks/<int:pk>/", views.talk_detail, name="talk"),
    path("talks/<int:pk>/speaker/<str:token>/", views.speaker_edit, name="speaker_edit"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:code>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
