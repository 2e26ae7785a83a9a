from typing import Any

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.core.sharedcache import catalogue_changed


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.catalog"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from apps.catalog import models

        # What the public pages, feeds and API show: a write of any of these through the
        # ORM (admin, services, link checks) bans the shared cache's copies once it
        # commits. Bulk writes call catalogue_changed() themselves (import, search index,
        # aggregate refresh, upstream facts). The aggregate bookkeeping is left out: readers
        # store aggregates, and a read must never ban.
        shown = (
            models.ComponentArea,
            models.Component,
            models.Platform,
            models.ImpactKind,
            models.Organization,
            models.Mitigation,
            models.UpstreamIssue,
            models.Story,
            models.Source,
            models.StoryUpstreamIssue,
            models.StoryMitigation,
        )
        for model in shown:
            post_save.connect(_changed, sender=model, dispatch_uid=f"sharedcache-save-{model}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"sharedcache-del-{model}")
        for field in models.Story._meta.many_to_many:
            through = field.remote_field.through  # type: ignore[attr-defined]
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"sharedcache-m2m-{field}")


def _changed(**kwargs: Any) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        catalogue_changed()
