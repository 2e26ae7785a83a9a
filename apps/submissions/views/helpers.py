"""Pieces shared by the submission and moderation pages."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.mixins import UserPassesTestMixin
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Platform,
    Story,
)
from apps.core.roles import MODERATOR, has_role
from apps.submissions.duplicates import Duplicate, find_duplicates
from apps.submissions.exceptions import SubmissionConflict
from apps.submissions.models import Submission
from apps.submissions.ratelimit import RateLimited
from apps.submissions.wording import Advice, conflict_message

# What the pages advise after a refused change of a submission.
PAGE_ADVICE = Advice(
    seen="opened",
    retry="Reload it and try again.",
    review_again="reload it and review again.",
    approve_again="reload the submission and approve it again.",
)


def conflict_text(exc: SubmissionConflict) -> str:
    """The pages' sentence for a change of a submission the workflow refused."""
    return conflict_message(exc, PAGE_ADVICE)


class FormOutdated(Exception):
    """The page's form cannot be applied any more; the message tells the person why."""


class ModeratorRequiredMixin(UserPassesTestMixin):
    """Moderators and admins only: strangers are sent to log in, members get 403."""

    def test_func(self) -> bool:
        return has_role(self.request.user, MODERATOR)  # type: ignore[attr-defined]


class PrivatePageMixin:
    """Pages about submissions: never cached or indexed, and their URL never sent as Referer.

    "strict-origin" rather than "no-referrer": with no-referrer browsers send `Origin: null`
    on the page's own POST forms, which the CSRF check rightly refuses.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        response.headers["Referrer-Policy"] = "strict-origin"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response


def too_many_requests(exc: RateLimited, text: str = "Too many requests.") -> HttpResponse:
    response = HttpResponse(
        f"{text} Try again in {exc.retry_after} s.", status=429, content_type="text/plain"
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def rate_limited_context(exc: RateLimited) -> dict[str, Any]:
    """When the person may try again, for the page that keeps what they typed."""
    seconds = exc.retry_after
    wait = f"{seconds} seconds" if seconds < 120 else f"about {round(seconds / 60)} minutes"
    return {
        "retry_after": seconds,
        "retry_at": timezone.now() + datetime.timedelta(seconds=seconds),
        "retry_in": wait,
    }


def public_duplicates(
    urls: Iterable[str], *, story: Story | None = None, exclude: Submission | None = None
) -> list[Duplicate]:
    """What a submitter may be told about their URLs; the story they edit is no duplicate."""
    return [
        dup
        for dup in find_duplicates(urls, public_only=True, exclude=exclude)
        if story is None or dup.story is None or dup.story.pk != story.pk
    ]


@dataclass(frozen=True)
class Term:
    slug: str
    label: str
    note: str = ""
    url: str = ""


@dataclass(frozen=True)
class PayloadView:
    """A story in its JSON form with slugs resolved to names, for previews."""

    title: str
    organization: str
    date: str
    summary: str
    sources: list[dict[str, str]] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    components: list[Term] = field(default_factory=list)
    platforms: list[Term] = field(default_factory=list)
    impact: list[Term] = field(default_factory=list)
    upstream: list[dict[str, str]] = field(default_factory=list)
    mitigations: list[Term] = field(default_factory=list)


def _http(url: Any) -> str:
    """Only http(s) URLs become links; anything else is shown as text."""
    text = str(url or "")
    return text if text.lower().startswith(("http://", "https://")) else ""


def payload_view(payload: dict[str, Any]) -> PayloadView:
    components = {
        c.slug: f"{c.area.name} \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} {c.name}"
        for c in Component.objects.filter(slug__in=payload.get("components", [])).select_related(
            "area"
        )
    }
    platforms = dict(
        Platform.objects.filter(slug__in=payload.get("platforms", [])).values_list("slug", "name")
    )
    impacts = dict(
        ImpactKind.objects.filter(slug__in=payload.get("impact", [])).values_list("slug", "name")
    )
    mitigation_slugs = [m.get("slug", "") for m in payload.get("mitigations", [])]
    found = Mitigation.objects.filter(slug__in=mitigation_slugs).only("slug", "title")
    mitigations = {m.slug: m for m in found}
    return PayloadView(
        title=str(payload.get("title", "")),
        organization=str(payload.get("organization", "")),
        date=str(payload.get("date", "")),
        summary=str(payload.get("summary", "")),
        sources=[
            {**source, "href": _http(source.get("url"))} for source in payload.get("sources", [])
        ],
        symptoms=[str(symptom) for symptom in payload.get("symptoms", [])],
        components=[Term(s, components.get(s, s)) for s in payload.get("components", [])],
        platforms=[Term(s, platforms.get(s, s)) for s in payload.get("platforms", [])],
        impact=[Term(s, impacts.get(s, s)) for s in payload.get("impact", [])],
        upstream=[{**u, "href": _http(u.get("url"))} for u in payload.get("upstream", [])],
        mitigations=[
            Term(
                m.get("slug", ""),
                mitigations[m["slug"]].title if m.get("slug") in mitigations else m.get("slug", ""),
                m.get("note", ""),
                mitigations[m["slug"]].get_absolute_url() if m.get("slug") in mitigations else "",
            )
            for m in payload.get("mitigations", [])
        ],
    )


@dataclass(frozen=True)
class ComponentChoice:
    slug: str
    name: str
    terms: str  # what the picker's filter matches: name, slug and aliases


@dataclass(frozen=True)
class AreaChoices:
    name: str
    components: list[ComponentChoice]


def component_areas() -> list[AreaChoices]:
    """Areas with their components, for the grouped, filterable component picker."""
    areas = ComponentArea.objects.prefetch_related(
        Prefetch("components", queryset=Component.objects.order_by("position", "name"))
    )
    return [
        AreaChoices(
            area.name,
            [
                ComponentChoice(
                    c.slug,
                    c.name,
                    " ".join([c.name, c.slug, *map(str, c.aliases or [])]).lower(),
                )
                for c in area.components.all()
            ],
        )
        for area in areas
    ]
