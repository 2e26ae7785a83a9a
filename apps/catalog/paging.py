"""Story pagination whose cost does not grow with the page number or the catalogue."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 20


class StoryPaginator(Paginator):
    """A Paginator over an ordered queryset of rows with a unique slug. The count may be
    given when already known (stored catalogue counts). A page's slugs are read first, so
    skipping rows reads an index only; a page in the second half is read from the end in
    reverse order, so the last page skips as few rows as the first."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int = PAGE_SIZE, *, count: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or not queryset.ordered:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        from_end = bottom > self.count // 2
        window = (
            queryset.reverse()[self.count - top : self.count - bottom]
            if from_end
            else queryset[bottom:top]
        )
        # Skip rows in the narrow (status, date, slug) index, then fetch only the page.
        slugs = list(window.prefetch_related(None).values_list("slug", flat=True))
        if from_end:
            slugs.reverse()
        rows = {row.slug: row for row in queryset.filter(slug__in=slugs)}
        return Page([rows[slug] for slug in slugs if slug in rows], number, self)
