from django.apps import AppConfig


class LinkcheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.linkcheck"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # The catalogue announces stories written with their links; first checks follow.
        from apps.catalog.signals import story_links_written
        from apps.linkcheck import receivers

        story_links_written.connect(
            receivers.enqueue_first_checks, dispatch_uid="linkcheck-first-checks"
        )
