"""Database rows to records, so both directions compare and write the same shape."""

from apps.catalog.models import Mitigation, Story
from apps.catalog.storyfiles.records import (
    MitigationLinkRecord,
    MitigationRecord,
    ReferenceLink,
    SourceRecord,
    StoryRecord,
    UpstreamRecord,
)


def record_from_story(
    story: Story,
    *,
    component_order: dict[str, int],
    platform_order: dict[str, int],
    impact_order: dict[str, int],
) -> StoryRecord:
    """The record of a story fetched with `Story.objects.for_detail()`."""

    def ordered(slugs: list[str], order: dict[str, int]) -> tuple[str, ...]:
        return tuple(sorted(slugs, key=lambda slug: (order.get(slug, len(order)), slug)))

    return StoryRecord(
        slug=story.slug,
        title=story.title,
        organization=story.organization.name if story.organization else "",
        date=story.published_on,
        date_precision=story.date_precision,
        sources=tuple(
            SourceRecord(url=s.url, kind=s.kind, title=s.title) for s in story.sources.all()
        ),
        components=ordered([c.slug for c in story.components.all()], component_order),
        platforms=ordered([p.slug for p in story.platforms.all()], platform_order),
        impacts=ordered([i.slug for i in story.impacts.all()], impact_order),
        upstream=tuple(
            UpstreamRecord(url=link.upstream_issue.url, note=link.note)
            for link in story.upstream_links.all()
        ),
        mitigations=tuple(
            MitigationLinkRecord(slug=link.mitigation.slug, note=link.note)
            for link in story.mitigation_links.all()
        ),
        verified=story.verification,
        summary=story.summary.strip(),
        symptoms=tuple(story.symptoms or ()),
    )


def record_from_mitigation(
    mitigation: Mitigation, *, component_order: dict[str, int]
) -> MitigationRecord:
    return MitigationRecord(
        slug=mitigation.slug,
        title=mitigation.title,
        components=tuple(
            sorted(
                (c.slug for c in mitigation.components.all()),
                key=lambda slug: (component_order.get(slug, len(component_order)), slug),
            )
        ),
        links=tuple(
            ReferenceLink(url=link["url"], title=link.get("title", "")) for link in mitigation.links
        ),
        body=mitigation.body.strip(),
    )
