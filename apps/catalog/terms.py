"""The taxonomy as the running site knows it."""

from django.db import models

from apps.catalog.models import Component, ImpactKind, Mitigation, Platform


class DatabaseTerms:
    """Known component, platform and impact slugs in taxonomy order, read from the database.

    Web submissions are checked against what the running site knows, with the same
    rules as story files.
    """

    def __init__(self) -> None:
        self._orders: dict[str, dict[str, int]] = {}

    def _order(self, model: type[models.Model]) -> dict[str, int]:
        key = model.__name__
        if key not in self._orders:
            slugs = model._default_manager.order_by(*(model._meta.ordering or ["pk"])).values_list(
                "slug", flat=True
            )
            self._orders[key] = {slug: index for index, slug in enumerate(slugs)}
        return self._orders[key]

    def component_order(self) -> dict[str, int]:
        return self._order(Component)

    def platform_order(self) -> dict[str, int]:
        return self._order(Platform)

    def impact_order(self) -> dict[str, int]:
        return self._order(ImpactKind)

    def mitigation_slugs(self) -> set[str]:
        return set(Mitigation.objects.values_list("slug", flat=True))

    def orders(self) -> dict[str, dict[str, int]]:
        return {
            "component_order": self.component_order(),
            "platform_order": self.platform_order(),
            "impact_order": self.impact_order(),
        }
