from django.apps import AppConfig


class WebConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        # The catalogue-wide counts the pages read; a refresh recomputes them after writes.
        from apps.catalog.refresh import register_aggregate
        from apps.search.facets import public_facet_counts
        from apps.web.views.browse import mitigation_counts, organization_counts
        from apps.web.views.trends import trends_counts

        for reader in (public_facet_counts, mitigation_counts, organization_counts, trends_counts):
            register_aggregate(reader)
