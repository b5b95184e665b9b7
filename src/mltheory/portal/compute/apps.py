from django.apps import AppConfig


class ComputeConfig(AppConfig):
    name = "mltheory.portal.compute"
    label = "compute"
    verbose_name = "Compute"
