from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "apps.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # Connects the Celery signal receivers (task metrics, request IDs in task logs).
        from django.core.signals import request_finished

        from apps.observability import tasksignals  # noqa: F401
        from apps.observability.middleware import forget_request_id

        request_finished.connect(forget_request_id, dispatch_uid="observability-request-id")
