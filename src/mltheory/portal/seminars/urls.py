from django.urls import path

from . import views

app_name = "seminars"
urlpatterns = [
    path("", views.series, name="series"),
    path("seminars.ics", views.calendar, name="calendar"),
    path("talks/<int:pk>/", views.talk_detail, name="talk"),
    # Tokens are URL-safe base64 (secrets.token_urlsafe): anything else cannot be one, and never
    # reaches the database (PostgreSQL refuses NUL bytes) or compare_digest (ASCII only).
    path("talks/<int:pk>/speaker/<slug:token>/", views.speaker_edit, name="speaker_edit"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:code>/", views.confirm, name="confirm"),
    path("unsubscribe/<slug:token>/", views.unsubscribe, name="unsubscribe"),
]
