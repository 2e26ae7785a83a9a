from django.apps import AppConfig


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.search"
    verbose_name = "Search"

    def ready(self) -> None:
        # The catalogue announces its changes; the search documents follow them.
        from apps.catalog.signals import catalogue_imported, stories_changed
        from apps.search import receivers

        stories_changed.connect(receivers.reindex_changed_stories, dispatch_uid="search-reindex")
        catalogue_imported.connect(
            receivers.index_unindexed_after_import, dispatch_uid="search-after-import"
        )
