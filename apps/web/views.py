"""HTML pages for browsing the catalogue. Every story query starts at Story.objects.public()."""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import DetailView, ListView, TemplateView

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    Story,
    StoryStatus,
)

MAX_QUERY_LENGTH = 200


def _component_map() -> list[ComponentArea]:
    """Areas with their components, each annotated with its public story count."""
    return list(
        ComponentArea.objects.prefetch_related(
            Prefetch(
                "components",
                queryset=Component.objects.with_public_story_counts().order_by("position"),
            )
        )
    )


class HomeView(TemplateView):
    template_name = "web/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        public = Story.objects.public()
        context.update(
            story_count=public.count(),
            organization_count=Organization.objects.filter(stories__status=StoryStatus.PUBLISHED)
            .distinct()
            .count(),
            mitigation_count=Mitigation.objects.count(),
            recent_stories=public.for_list().order_by("-created_at", "slug")[:8],
            areas=_component_map(),
        )
        return context


class StoryListView(ListView):
    template_name = "web/story_list.html"
    context_object_name = "stories"
    paginate_by = 20
    filters = ("component", "area", "platform", "impact", "organization", "year")

    def get_queryset(self) -> QuerySet[Story]:
        stories = Story.objects.public().for_list().newest_first()
        params = self.request.GET
        if component := params.get("component"):
            stories = stories.filter(components__slug=component)
        if area := params.get("area"):
            stories = stories.filter(components__area__slug=area)
        if platform := params.get("platform"):
            stories = stories.filter(platforms__slug=platform)
        if impact := params.get("impact"):
            stories = stories.filter(impacts__slug=impact)
        if organization := params.get("organization"):
            stories = stories.filter(organization__slug=organization)
        year = params.get("year", "")
        if year.isdigit() and len(year) == 4:
            stories = stories.filter(published_on__year=int(year))
        query = " ".join(params.get("q", "").split())[:MAX_QUERY_LENGTH]
        if query:
            # Plain substring matching until ranked full-text search lands.
            stories = stories.filter(
                Q(title__icontains=query)
                | Q(summary__icontains=query)
                | Q(organization__name__icontains=query)
            )
        return stories.distinct()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        context["query"] = " ".join(params.get("q", "").split())[:MAX_QUERY_LENGTH]
        chips = []
        for name in (*self.filters, "q"):
            if params.get(name):
                remaining = params.copy()
                remaining.pop(name)
                remaining.pop("page", None)
                chips.append((name, params[name], f"?{remaining.urlencode()}"))
        context["active_filters"] = chips
        context["components"] = Component.objects.select_related("area")
        context["platforms"] = Platform.objects.all()
        context["impacts"] = ImpactKind.objects.all()
        return context


class StoryDetailView(DetailView):
    template_name = "web/story_detail.html"
    context_object_name = "story"

    def get_queryset(self) -> QuerySet[Story]:
        return Story.objects.public().for_detail()


class ComponentListView(TemplateView):
    template_name = "web/component_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["areas"] = _component_map()
        return context


class ComponentDetailView(DetailView):
    template_name = "web/component_detail.html"
    context_object_name = "component"
    queryset = Component.objects.select_related("area").prefetch_related("mitigations")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stories"] = (
            Story.objects.public().with_component(self.object.slug).for_list().newest_first()
        )
        return context


class MitigationListView(ListView):
    template_name = "web/mitigation_list.html"
    context_object_name = "mitigations"

    def get_queryset(self) -> QuerySet[Mitigation]:
        return Mitigation.objects.annotate(
            story_count=Count("stories", filter=Q(stories__status=StoryStatus.PUBLISHED))
        ).prefetch_related("components")


class MitigationDetailView(DetailView):
    template_name = "web/mitigation_detail.html"
    context_object_name = "mitigation"
    queryset = Mitigation.objects.prefetch_related("components")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stories"] = (
            Story.objects.public().filter(mitigations=self.object).for_list().newest_first()
        )
        return context


class OrganizationDetailView(DetailView):
    template_name = "web/organization_detail.html"
    context_object_name = "organization"
    # An organization is public only through a published story.
    queryset = Organization.objects.filter(stories__status=StoryStatus.PUBLISHED).distinct()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stories"] = (
            Story.objects.public().filter(organization=self.object).for_list().newest_first()
        )
        return context


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
