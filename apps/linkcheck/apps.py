from django.apps import AppConfig


class LinkcheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.linkcheck"
    verbose_name = "Background jobs"
