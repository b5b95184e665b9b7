from django.apps import AppConfig


class MailConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mltheory.portal.mail"
    label = "mail"
    verbose_name = "Outbox"
