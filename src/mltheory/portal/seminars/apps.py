from django.apps import AppConfig


class SeminarsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mltheory.portal.seminars"
    label = "seminars"
    verbose_name = "Seminar series"

    def ready(self):
        from . import checks  # noqa: F401 -- registers the system checks
