"""Filters shared by the HTML list, the feeds and the API."""

from typing import Any

import django_filters
from django import forms

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    SourceKind,
    Story,
    UpstreamIssue,
    UpstreamKind,
    UpstreamState,
    UpstreamTracker,
)

EARLIEST_YEAR = 2014
LATEST_YEAR = 2100


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class SlugFilter(django_filters.ModelMultipleChoiceFilter):
    """Any of (or, conjoined, all of) these slugs of `queryset`; `field_name` ends in the slug."""

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        super().__init__(to_field_name="slug", label=label, **kwargs)


class StoryFilterSet(django_filters.FilterSet):
    """Facet filters. Several values of one facet: components must all match (they
    narrow), other facets match any of their values."""

    component = SlugFilter(
        field_name="components__slug",
        queryset=Component.objects.public(),
        conjoined=True,
        label="Component",
    )
    area = SlugFilter(
        field_name="components__area__slug",
        queryset=ComponentArea.objects.all(),
        label="Area",
    )
    platform = SlugFilter(
        field_name="platforms__slug",
        queryset=Platform.objects.all(),
        label="Platform",
    )
    impact = SlugFilter(
        field_name="impacts__slug",
        queryset=ImpactKind.objects.all(),
        label="Impact",
    )
    kind = django_filters.MultipleChoiceFilter(
        field_name="sources__kind", choices=SourceKind.choices, label="Source kind"
    )
    organization = SlugFilter(
        field_name="organization__slug",
        # Only public organizations: others must look like unknown slugs.
        queryset=Organization.objects.public(),
        label="Organization",
    )
    year_from = YearFilter(
        field_name="published_on__year",
        lookup_expr="gte",
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        label="From year",
    )
    year_to = YearFilter(
        field_name="published_on__year",
        lookup_expr="lte",
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        label="To year",
    )

    class Meta:
        model = Story
        fields: list[str] = []

    def error_messages(self) -> list[str]:
        """Invalid parameters, in words a reader understands; they are ignored."""
        messages = []
        for name, errors in self.form.errors.items():
            label = self.filters[name].label if name in self.filters else name
            value = ", ".join(self.data.getlist(name)) if hasattr(self.data, "getlist") else ""
            messages.append(f"{label} {value!r} was ignored: {' '.join(errors)}")
        return messages


class ComponentFilterSet(django_filters.FilterSet):
    area = SlugFilter(
        field_name="area__slug",
        queryset=ComponentArea.objects.all(),
        label="Area",
    )

    class Meta:
        model = Component
        fields: list[str] = []


class MitigationFilterSet(django_filters.FilterSet):
    component = SlugFilter(
        field_name="components__slug",
        queryset=Component.objects.public(),
        label="Component",
    )

    class Meta:
        model = Mitigation
        fields: list[str] = []


class UpstreamIssueFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=UpstreamState.choices, label="State")
    kind = django_filters.ChoiceFilter(choices=UpstreamKind.choices, label="Kind")
    tracker = django_filters.ChoiceFilter(choices=UpstreamTracker.choices, label="Tracker")
    owner = django_filters.CharFilter(lookup_expr="iexact", max_length=100, label="Owner")
    repo = django_filters.CharFilter(lookup_expr="iexact", max_length=100, label="Repository")

    class Meta:
        model = UpstreamIssue
        fields: list[str] = []
