from django.apps import AppConfig


class AffectedConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.affected"
    verbose_name = "Affected versions"

    def ready(self) -> None:
        # The catalogue announces each import; the ranges file is read then.
        from apps.affected import loading
        from apps.catalog.signals import catalogue_imported

        catalogue_imported.connect(loading.import_ranges_after_catalogue)
