from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "apps.submissions"
    verbose_name = "Submissions and moderation"
    default_auto_field = "django.db.models.BigAutoField"
