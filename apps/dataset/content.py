"""The public catalogue as plain data: the JSON document and its CSV tables.

Stories come from `Story.objects.public()` only and keep the story-file keys (the same
records `export_stories` writes), so a dataset can be read back with the story-file rules.
Upstream issues are those linked to a published story; the taxonomy and mitigations are
public whole, as on the site.
"""

from typing import Any

from django.conf import settings
from django.db.models import Prefetch

from apps.catalog.models import (
    Component,
    ComponentArea,
    ImpactKind,
    Mitigation,
    Platform,
    Story,
    UpstreamIssue,
)
from apps.catalog.storyfiles.mapping import record_from_mitigation, record_from_story
from apps.catalog.storyfiles.payload import record_to_payload

FORMAT_VERSION = "1.0"
UPSTREAM_FIELDS = ("url", "tracker", "owner", "repo", "number", "kind", "state", "title")


def public_catalogue() -> dict[str, Any]:
    """Everything public, in a fixed order, without timestamps: the same catalogue gives
    the same document."""
    areas = list(
        ComponentArea.objects.prefetch_related(
            Prefetch("components", queryset=Component.objects.order_by("position", "name"))
        ).order_by("position", "name")
    )
    component_order = {
        component.slug: index
        for index, component in enumerate(c for area in areas for c in area.components.all())
    }
    platforms = list(Platform.objects.order_by("position", "name"))
    impacts = list(ImpactKind.objects.order_by("position", "name"))
    orders = {
        "component_order": component_order,
        "platform_order": {p.slug: i for i, p in enumerate(platforms)},
        "impact_order": {p.slug: i for i, p in enumerate(impacts)},
    }
    stories = [
        {
            "slug": story.slug,
            "url": f"{settings.SITE_URL}{story.get_absolute_url()}",
            "verified": story.verification,
            **record_to_payload(record_from_story(story, **orders)),
        }
        for story in Story.objects.public().for_detail().order_by("slug")
    ]
    upstream = UpstreamIssue.objects.public().order_by("url")
    public_mitigations = Mitigation.objects.public().prefetch_related("components")
    mitigations = [
        record_from_mitigation(mitigation, component_order=component_order)
        for mitigation in public_mitigations.order_by("slug")
    ]
    return {
        "format_version": FORMAT_VERSION,
        "areas": [
            {
                "slug": area.slug,
                "name": area.name,
                "description": area.description,
                "components": [
                    {
                        "slug": component.slug,
                        "name": component.name,
                        "description": component.description,
                        "aliases": list(component.aliases),
                    }
                    for component in area.components.all()
                ],
            }
            for area in areas
        ],
        "platforms": [
            {"slug": p.slug, "name": p.name, "aliases": list(p.aliases)} for p in platforms
        ],
        "impacts": [
            {
                "slug": i.slug,
                "name": i.name,
                "description": i.description,
                "aliases": list(i.aliases),
            }
            for i in impacts
        ],
        "mitigations": [
            {
                "slug": m.slug,
                "title": m.title,
                "components": list(m.components),
                "links": [{"url": link.url, "title": link.title} for link in m.links],
                "body": m.body,
            }
            for m in mitigations
        ],
        "upstream_issues": [
            {field: getattr(issue, field) for field in UPSTREAM_FIELDS} for issue in upstream
        ],
        "stories": stories,
    }


Table = tuple[list[str], list[list[Any]]]


def csv_tables(catalogue: dict[str, Any]) -> dict[str, Table]:
    """The document as flat tables, one row per thing and one per link between two."""
    stories = catalogue["stories"]
    return {
        "stories": (
            ["slug", "title", "organization", "date", "verified", "url", "summary"],
            [[s[k] for k in ("slug", "title", "organization", "date", "verified", "url", "summary")]
             for s in stories],
        ),
        "sources": (
            ["story", "position", "url", "kind", "title"],
            [[s["slug"], i, src["url"], src["kind"], src["title"]]
             for s in stories for i, src in enumerate(s["sources"])],
        ),
        "symptoms": (
            ["story", "position", "symptom"],
            [[s["slug"], i, text] for s in stories for i, text in enumerate(s["symptoms"])],
        ),
        "components": (
            ["slug", "name", "area", "area_name", "description", "aliases"],
            [[c["slug"], c["name"], a["slug"], a["name"], c["description"], "|".join(c["aliases"])]
             for a in catalogue["areas"] for c in a["components"]],
        ),
        "story_components": (
            ["story", "component"],
            [[s["slug"], c] for s in stories for c in s["components"]],
        ),
        "platforms": (
            ["slug", "name", "aliases"],
            [[p["slug"], p["name"], "|".join(p["aliases"])] for p in catalogue["platforms"]],
        ),
        "impacts": (
            ["slug", "name", "description", "aliases"],
            [[i["slug"], i["name"], i["description"], "|".join(i["aliases"])]
             for i in catalogue["impacts"]],
        ),
        "story_platforms": (
            ["story", "platform"], [[s["slug"], p] for s in stories for p in s["platforms"]]
        ),
        "story_impacts": (
            ["story", "impact"], [[s["slug"], i] for s in stories for i in s["impact"]]
        ),
        "upstream_issues": (
            list(UPSTREAM_FIELDS),
            [[u[f] for f in UPSTREAM_FIELDS] for u in catalogue["upstream_issues"]],
        ),
        "story_upstream_issues": (
            ["story", "position", "upstream_issue", "note"],
            [[s["slug"], i, u["url"], u["note"]]
             for s in stories for i, u in enumerate(s["upstream"])],
        ),
        "mitigations": (
            ["slug", "title", "components", "body"],
            [[m["slug"], m["title"], "|".join(m["components"]), m["body"]]
             for m in catalogue["mitigations"]],
        ),
        "mitigation_links": (
            ["mitigation", "position", "url", "title"],
            [[m["slug"], i, link["url"], link["title"]]
             for m in catalogue["mitigations"] for i, link in enumerate(m["links"])],
        ),
        "story_mitigations": (
            ["story", "position", "mitigation", "note"],
            [[s["slug"], i, m["slug"], m["note"]]
             for s in stories for i, m in enumerate(s["mitigations"])],
        ),
    }  # fmt: skip
