from django.apps import AppConfig

from apps.core.lookups import register_lookups


class CoreConfig(AppConfig):
    """The floor below the catalogue: roles, the audit log, the outbox and the scheduler lease."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.core"
    verbose_name = "Core"

    def ready(self) -> None:
        register_lookups()
