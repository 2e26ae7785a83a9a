"""HTML pages for browsing the catalogue. Every story query starts at Story.objects.public()."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Window
from django.db.models.functions import Lower, RowNumber
from django.http import QueryDict
from django.views.generic import DetailView, ListView, TemplateView

from apps.catalog.aggregates import stored_aggregate
from apps.catalog.cards import with_tags
from apps.catalog.counts import stored_counts
from apps.catalog.filters import StoryFilterSet
from apps.catalog.models import (
    Component,
    ComponentArea,
    Mitigation,
    Organization,
    Story,
    StoryMitigation,
    StoryQuerySet,
)
from apps.catalog.paging import PAGE_SIZE, StoryPaginator
from apps.core.querystrings import with_params
from apps.core.roles import MODERATOR, has_role
from apps.search.browse import SORTS, browse_stories
from apps.search.engine import page_snippets, with_highlights
from apps.search.facets import (
    Facet,
    facet_counts,
    filtered_facet_counts,
    public_facet_counts,
    story_facets,
)
from apps.search.paging import RankedPaginator, RankedStories, SearchPaginator, about
from apps.web.views.moved import MovedSlugMixin
from apps.web.views.paging import NumberedPagesMixin, paginate


def _component_map(counts: dict[str, Any]) -> list[ComponentArea]:
    """Areas with their components, each with its public story count (from `counts`,
    the stored catalogue counts)."""
    by_slug = {slug: n for slug, _, n in counts["component"]}
    areas = list(
        ComponentArea.objects.prefetch_related(
            Prefetch("components", queryset=Component.objects.order_by("position"))
        )
    )
    for area in areas:
        for component in area.components.all():
            component.story_count = by_slug.get(component.slug, 0)  # type: ignore[attr-defined]
    return areas


def mitigation_counts() -> dict[str, int]:
    """Public stories per mitigation slug, stored until the catalogue changes."""
    return stored_aggregate("mitigations", _count_mitigations)  # type: ignore[no-any-return]


def _count_mitigations() -> dict[str, int]:
    counts = stored_counts("m")
    mitigations = Mitigation.objects.public().values_list("pk", "slug")
    return {slug: counts.get(f"m{pk}", 0) for pk, slug in mitigations}


def organization_counts() -> dict[str, int]:
    """Public stories per organization, keyed "o<id>" (a key of digits would be read as an
    array index), stored until the catalogue changes; organizations without a public
    story are absent."""
    return stored_aggregate("organizations", _count_organizations)  # type: ignore[no-any-return]


def _count_organizations() -> dict[str, int]:
    # The stored counts' keys for organizations are the same "o<id>".
    return stored_counts("o")


def _organization_count(organization: Organization) -> int:
    """One organization's public stories, read from the stored counts alone."""
    item = f"o{organization.pk}"
    return stored_aggregate("organizations", _count_organizations, item=item) or 0  # type: ignore[no-any-return]


class HomeView(TemplateView):
    template_name = "web/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = public_facet_counts()
        context.update(
            story_count=counts["total"],
            organization_count=counts["organizations"],
            mitigation_count=Mitigation.objects.public().count(),
            recent_stories=with_tags(
                Story.objects.public().for_cards().order_by("-created_at", "slug")[:8]
            ),
            areas=_component_map(counts),
        )
        return context


class StoryListView(NumberedPagesMixin, ListView):
    """Stories with facets, full-text search, sorting and pagination; the URL holds it all.

    Its paginators are given the count (the stored aggregate's, the search's total or its
    estimate) instead of running COUNT(*); a search by relevance pages over the ranked
    window, not the queryset; an estimated total does not bound the page numbers.
    """

    template_name = "web/story_list.html"
    context_object_name = "stories"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> StoryQuerySet:
        self.browse = browse_stories(self.request.GET)
        self.counts, self.facet_note = self._facet_counts()
        return self.browse.stories.for_cards()

    def _facet_counts(self) -> tuple[dict[str, Any], str]:
        """The facet counts, and a note on what they count. Those of the whole catalogue
        and of a few filter values are stored until the catalogue changes; a search counts
        its facets over its ranked matches."""
        browse, search = self.browse, self.browse.search
        if browse.whole_catalogue:
            return public_facet_counts(), ""
        if search is None:
            return filtered_facet_counts(browse.stories, browse.active), ""
        ranked = Story.objects.public().filter(pk__any_of=search.story_ids)
        counts = facet_counts(ranked, organizations=self.request.GET.getlist("organization"))
        if not search.capped:
            return counts, ""
        return counts, f"Counts among the {len(search.story_ids):,} ranked matches."

    def get_paginator(self, queryset: Any, per_page: int, *args: Any, **kwargs: Any) -> Paginator:
        search = self.browse.search
        if search is not None and self.browse.sort == "relevance":
            rows = with_highlights(search, Story.objects.public().for_cards())
            return RankedPaginator(RankedStories(search, rows), per_page)
        if search is not None:
            # Another sort of a search: the search's total (exact, or its estimate when
            # very many stories match), never a count over every match.
            return SearchPaginator(
                with_highlights(search, queryset),
                per_page,
                count=search.total,
                estimated=search.estimated,
            )
        stored = self.counts.get("total")
        return StoryPaginator(
            queryset,
            per_page,
            count=stored if isinstance(stored, int) else None,
            years=self.counts.get("year", ()),
        )

    def requested_page(self, paginator: Paginator) -> Page:
        """requested_page(), except that an estimated search total does not bound the page
        numbers: any page reachable by "next" can be asked for."""
        raw = self.request.GET.get("page", "")
        if isinstance(paginator, SearchPaginator) and paginator.estimated and raw.isdigit():
            return paginator.page(max(1, int(raw)))
        return super().requested_page(paginator)

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Paginator, Page, Any, bool]:
        paginator, page, stories, is_paginated = super().paginate_queryset(queryset, page_size)
        return paginator, page, with_tags(stories), is_paginated

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params, browse, paginator = self.request.GET, self.browse, context["paginator"]
        facets = story_facets(browse.stories, params, counts=self.counts)
        estimated = isinstance(paginator, SearchPaginator) and paginator.estimated
        count = about(paginator.count) if estimated else paginator.count
        # Marked: the words searched for, after typo corrections.
        search, stories = browse.search, context["stories"]
        context.update(
            browse=browse,
            query=browse.query.text,
            facets=facets,
            facet_note=self.facet_note,
            result_count=count,
            result_label=f"{count:,}",
            estimated=estimated,
            chips=_chips(params, facets),
            filtered=any(v for name in StoryFilterSet.base_filters for v in params.getlist(name)),
            snippets=page_snippets(search.query, stories) if search else {},
            sorts=[
                (key, label, with_params(params, sort=key), key == browse.sort)
                for key, label in SORTS.items()
                if key != "relevance" or browse.searching
            ],
            feed_query=params.urlencode(),
        )
        return context


def _chips(params: QueryDict, facets: list[Facet]) -> list[tuple[str, str, str]]:
    """(facet label, value label, URL without it) for every active filter."""
    labels = {(f.name, v.value): v.label for f in facets for v in f.values}
    facet_labels = {f.name: f.label for f in facets}
    chips = []
    for name in ("q", *StoryFilterSet.base_filters):
        for value in params.getlist(name):
            if not value:
                continue
            remaining = with_params(
                params, **{name: [v for v in params.getlist(name) if v != value]}
            )
            if name == "q":
                label = "Search"
            else:
                label = facet_labels.get(name) or str(StoryFilterSet.base_filters[name].label)
            chips.append(
                (
                    label,
                    labels.get((name, value), value),
                    remaining,
                )
            )
    return chips


class StoryDetailView(MovedSlugMixin, DetailView):
    moved_kind, moved_url_name = "stories", "web:story-detail"
    template_name = "web/story_detail.html"
    context_object_name = "story"

    related_count = 5
    related_window = 200

    def get_queryset(self) -> QuerySet[Story]:
        return Story.objects.public().for_detail()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        component_ids = [c.pk for c in self.object.components.all()]
        # Candidates: the newest stories of each of its components (index on component,
        # story), so the cost does not grow with how common a component is.
        candidates = (
            Story.components.through.objects.filter(component_id__in=component_ids)
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=F("component_id"), order_by=F("story_id").desc()
                )
            )
            .filter(rank__lte=self.related_window)  # type: ignore[misc]
            .values("story_id")
        )
        # Stories sharing the most components first; the filter makes Count see only shared ones.
        context["related"] = (
            Story.objects.public()
            .filter(pk__in=candidates)
            .exclude(pk=self.object.pk)
            .filter(components__in=component_ids)
            .annotate(shared=Count("components", distinct=True))
            .select_related("organization")
            .order_by("-shared", "-published_on", "slug")[: self.related_count]
            if component_ids
            else Story.objects.none()
        )
        context["can_moderate"] = has_role(self.request.user, MODERATOR)
        return context


class ComponentListView(TemplateView):
    template_name = "web/component_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["areas"] = _component_map(public_facet_counts())
        return context


class ComponentDetailView(MovedSlugMixin, DetailView):
    moved_kind, moved_url_name = "components", "web:component-detail"
    template_name = "web/component_detail.html"
    context_object_name = "component"
    queryset = Component.objects.public().select_related("area").prefetch_related("mitigations")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = {slug: n for slug, _, n in public_facet_counts()["component"]}
        # EXISTS on the component's id: the planner walks the date index, no slug join.
        links = Story.components.through.objects.filter(story=OuterRef("pk"), component=self.object)
        stories = Story.objects.public().filter(Exists(links))
        context.update(
            paginate(
                self.request,
                stories.for_cards().newest_first(),
                count=counts.get(self.object.slug, 0),
            )
        )
        return context


class MitigationListView(ListView):
    template_name = "web/mitigation_list.html"
    context_object_name = "mitigations"

    def get_queryset(self) -> QuerySet[Mitigation]:
        return Mitigation.objects.public().prefetch_related("components")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = mitigation_counts()
        for mitigation in context["mitigations"]:
            mitigation.story_count = counts.get(mitigation.slug, 0)
        return context


class MitigationDetailView(MovedSlugMixin, DetailView):
    moved_kind, moved_url_name = "mitigations", "web:mitigation-detail"
    template_name = "web/mitigation_detail.html"
    context_object_name = "mitigation"
    queryset = Mitigation.objects.public().prefetch_related("components")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        links = StoryMitigation.objects.filter(story=OuterRef("pk"), mitigation=self.object)
        stories = Story.objects.public().filter(Exists(links))
        context.update(
            paginate(
                self.request,
                stories.for_cards().newest_first(),
                count=mitigation_counts().get(self.object.slug, 0),
            )
        )
        return context


class OrganizationListView(NumberedPagesMixin, ListView):
    """Organizations with a public story, by name, paginated; counts are stored."""

    template_name = "web/organization_list.html"
    context_object_name = "organizations"
    paginate_by = 100

    def get_queryset(self) -> QuerySet[Organization]:
        self.counts = organization_counts()
        # "eBay" among the Es, not after "Zalando".
        return Organization.objects.public().order_by(Lower("name"), "slug")

    def get_paginator(self, queryset: Any, per_page: int, *args: Any, **kwargs: Any) -> Paginator:
        return StoryPaginator(queryset, per_page, count=len(self.counts))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for organization in context["organizations"]:
            organization.story_count = self.counts.get(f"o{organization.pk}", 0)
        return context


class OrganizationDetailView(MovedSlugMixin, DetailView):
    moved_kind, moved_url_name = "organizations", "web:organization-detail"
    template_name = "web/organization_detail.html"
    context_object_name = "organization"
    queryset = Organization.objects.public()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        stories = Story.objects.public().filter(organization=self.object)
        count = _organization_count(self.object)
        context.update(paginate(self.request, stories.for_cards().newest_first(), count=count))
        return context
