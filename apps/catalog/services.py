"""Writes to the catalogue that touch several models."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.catalog.exceptions import SourceTaken, StoryNotPublic
from apps.catalog.links import canonicalize_url, parse_upstream_url
from apps.catalog.models import (
    Component,
    ImpactKind,
    Mitigation,
    Organization,
    Platform,
    Source,
    Story,
    StoryMitigation,
    StoryOrigin,
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.catalog.rendering import rendered_fields
from apps.catalog.signals import stories_changed, story_links_written
from apps.catalog.slugs import is_slug, slug_words
from apps.catalog.snapshots import story_snapshot
from apps.catalog.storyfiles.records import StoryRecord
from apps.core import audit
from apps.core.models import AuditAction


def _organization(name: str, cache: dict[str, Organization]) -> Organization | None:
    if not name:
        return None
    if name in cache:
        return cache[name]
    base = slug_words(name, fallback="organization")
    slug, suffix = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    cache[name] = Organization.objects.create(name=name, slug=slug)
    return cache[name]


def _upstream_issue(
    url: str, cache: dict[tuple[str, str, str, int], UpstreamIssue]
) -> UpstreamIssue:
    ref = parse_upstream_url(url)
    key = (ref.tracker, ref.owner.lower(), ref.repo.lower(), ref.number)
    if key not in cache:
        cache[key] = UpstreamIssue.objects.create(
            url=ref.url,
            tracker=ref.tracker,
            owner=ref.owner,
            repo=ref.repo,
            number=ref.number,
            kind=ref.kind,
        )
    return cache[key]


@dataclass
class _Lookups:
    """Rows a story refers to, loaded once per import."""

    organizations: dict[str, Organization]
    components: dict[str, Component]
    platforms: dict[str, Platform]
    impacts: dict[str, ImpactKind]
    mitigations: dict[str, Mitigation]
    upstream: dict[tuple[str, str, str, int], UpstreamIssue]

    @classmethod
    def load(
        cls,
        *,
        components: dict[str, Component] | None = None,
        mitigations: dict[str, Mitigation] | None = None,
    ) -> "_Lookups":
        return cls(
            organizations={o.name: o for o in Organization.objects.all()},
            components=components or {c.slug: c for c in Component.objects.all()},
            platforms={p.slug: p for p in Platform.objects.all()},
            impacts={i.slug: i for i in ImpactKind.objects.all()},
            mitigations=mitigations or {m.slug: m for m in Mitigation.objects.all()},
            upstream={
                (u.tracker, u.owner.lower(), u.repo.lower(), u.number): u
                for u in UpstreamIssue.objects.all()
            },
        )


def _write_story(
    story: Story | None,
    record: StoryRecord,
    lookups: _Lookups,
    *,
    origin: str = StoryOrigin.FILE,
) -> Story:
    """Write a new story, or the content of one its caller has claimed (story_claim)."""
    fields = {
        "title": record.title,
        "organization": _organization(record.organization, lookups.organizations),
        "published_on": record.date,
        "date_precision": record.date_precision,
        "summary": record.summary,
        "verification": record.verified,
        "symptoms": list(record.symptoms),
    }
    if story is None:
        story = Story.objects.create(
            slug=record.slug, status=Story.Status.PUBLISHED, origin=origin, **fields
        )
    else:
        for name, value in fields.items():
            setattr(story, name, value)
        story.save()
        story.upstream_links.all().delete()
        story.mitigation_links.all().delete()
    story.components.set([lookups.components[slug] for slug in record.components])
    story.platforms.set([lookups.platforms[slug] for slug in record.platforms])
    story.impacts.set([lookups.impacts[slug] for slug in record.impacts])
    Source.objects.bulk_create(
        Source(
            story=story,
            url=source.url,
            canonical_url=canonicalize_url(source.url),
            kind=source.kind,
            title=source.title,
            position=position,
        )
        for position, source in enumerate(record.sources)
    )
    StoryUpstreamIssue.objects.bulk_create(
        StoryUpstreamIssue(
            story=story,
            upstream_issue=_upstream_issue(link.url, lookups.upstream),
            note=link.note,
            position=position,
        )
        for position, link in enumerate(record.upstream)
    )
    StoryMitigation.objects.bulk_create(
        StoryMitigation(
            story=story,
            mitigation=lookups.mitigations[link.slug],
            note=link.note,
            position=position,
        )
        for position, link in enumerate(record.mitigations)
    )
    return story


def _after_change(story_ids: list[int]) -> None:
    """What follows any change of these stories (their search documents follow the signal)."""
    stories_changed.send(sender=Story, story_ids=story_ids)


def story_claim(
    *, story: Story, expected_version: int, fields: dict[str, Any] | None = None
) -> None:
    """Raise the story's version if it is still `expected_version`, writing `fields` in
    the same UPDATE; raise StoryVersionConflict if not.

    One statement, so of two concurrent writers exactly one succeeds. Every change of a
    story goes through here or stories_claim (Story.objects.claim); `story` gets the new
    version.
    """
    Story.objects.claim([(story, expected_version)], **(fields or {}))


def stories_claim(*, stories: Sequence[Story]) -> None:
    """story_claim for many stories at once, each expected at the version it was read
    with: the import's way. Raises StoryVersionConflict, claiming none, if any moved."""
    Story.objects.claim([(story, story.version) for story in stories])


@dataclass(frozen=True)
class StoryChanges:
    """What a direct edit changes in a story; None leaves a field as it is."""

    title: str | None = None
    summary: str | None = None
    status: str | None = None
    components: list[Component] | None = None
    platforms: list[Platform] | None = None
    impacts: list[ImpactKind] | None = None
    symptoms: list[str] | None = None

    def columns(self) -> dict[str, Any]:
        """The story's own columns these changes write (the summary with its rendering)."""
        fields: dict[str, Any] = {
            name: value
            for name, value in (
                ("title", self.title),
                ("summary", self.summary),
                ("status", self.status),
                ("symptoms", self.symptoms),
            )
            if value is not None
        }
        if self.summary is not None:
            fields["summary_html"], fields["excerpt"] = rendered_fields(self.summary)
        return fields

    def links(self) -> dict[str, list[Any]]:
        """The story's relations these changes set."""
        return {
            name: value
            for name, value in (
                ("components", self.components),
                ("platforms", self.platforms),
                ("impacts", self.impacts),
            )
            if value is not None
        }

    @property
    def touch_content(self) -> bool:
        """Whether they change what a story file holds (anything but the status)."""
        content = (self.title, self.summary, self.symptoms, *self.links().values())
        return any(value is not None for value in content)


@transaction.atomic
def story_update(*, story: Story, expected_version: int, changes: StoryChanges) -> Story:
    """Change a story if it is still at `expected_version`; raise StoryVersionConflict if not.

    The version check and the increment are one UPDATE, so of two concurrent editors
    exactly one succeeds. A change to what a story file holds makes it a web story: the
    database then differs from its file, and imports keep it until it is exported.
    """
    fields = changes.columns()
    if changes.touch_content:
        fields["origin"] = StoryOrigin.WEB
    story_claim(story=story, expected_version=expected_version, fields=fields)
    for name, rows in changes.links().items():
        getattr(story, name).set(rows)
    _after_change([story.pk])
    story.refresh_from_db()
    return story


def unique_story_slug(record: StoryRecord) -> str:
    """`<year>-<organization>-<title>` in story-file form, made unique with a number.

    Every part is a slug (see slug_words), so any title or organization gives a story
    file name and a URL that routes.
    """
    organization = slug_words(record.organization, fallback="organization")
    title = slug_words(record.title, fallback="story", limit=120)
    parts = (
        [str(record.date.year), organization, title]
        if record.organization
        else [str(record.date.year), title]
    )
    base = "-".join(parts)[:120].strip("-")
    slug, suffix = base, 2
    while Story.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def story_write(
    *, record: StoryRecord, story: Story | None = None, expected_version: int | None = None
) -> Story:
    """Create a published web story from a record, or replace a story's content with one.

    Replacing checks `expected_version` in the same UPDATE that raises the version, so of
    two concurrent writers exactly one succeeds (the other gets StoryVersionConflict).
    Raises SourceTaken when a source URL belongs to another story. The search index is
    updated and first link checks are enqueued.
    """
    if story is None and not is_slug(record.slug):
        # Unroutable: it would publish a story no URL can reach.
        raise ValueError(f"{record.slug!r} is not a slug")
    canonical = [canonicalize_url(source.url) for source in record.sources]
    taken = (
        Source.objects.filter(canonical_url__in=canonical)
        .exclude(story=story)
        .select_related("story")
        .first()
    )
    if taken is not None:
        raise SourceTaken(taken.url, taken.story)
    if story is not None:
        if expected_version is None:
            raise ValueError("replacing a story needs expected_version")
        story_claim(story=story, expected_version=expected_version)
        story.refresh_from_db()
        # The database now differs from any story file: imports keep it until it is exported.
        story.origin = StoryOrigin.WEB
        story.sources.all().delete()
    written = _write_story(story, record, _Lookups.load(), origin=StoryOrigin.WEB)
    _after_change([written.pk])
    story_links_written.send(sender=Story, story_ids=[written.pk])
    return written


@transaction.atomic
def story_edit(*, story: Story, editor: Any, expected_version: int, changes: StoryChanges) -> Story:
    """A moderator's direct change to a story (the API's PUT/PATCH), logged with before/after.

    Raises StoryVersionConflict when the story is no longer at `expected_version`.
    """
    before = story_snapshot(story)
    story = story_update(story=story, expected_version=expected_version, changes=changes)
    audit.record(
        action=AuditAction.STORY_EDITED,
        actor=editor,
        story=story,
        before=before,
        after=story_snapshot(story),
    )
    return story


@transaction.atomic
def story_retract(*, story: Story, actor: Any, expected_version: int, reason: str) -> Story:
    """Take a published story off the site; it stays in the database and the log.

    Raises StoryNotPublic when it is not published, StoryVersionConflict when it is no
    longer at `expected_version`.
    """
    if not story.is_public:
        raise StoryNotPublic(story.slug)
    before = story_snapshot(story)
    story.retract(expected_version=expected_version)
    _after_change([story.pk])
    audit.record(
        action=AuditAction.RETRACTED,
        actor=actor,
        story=story,
        message=reason,
        before=before,
        after=story_snapshot(story),
    )
    return story


@transaction.atomic
def story_delete(*, story: Story, actor: Any, message: str = "") -> None:
    """Delete a story for good, logged as a deletion with what it held."""
    audit.record(
        action=AuditAction.STORY_DELETED,
        actor=actor,
        story=story,
        message=message,
        before=story_snapshot(story),
    )
    pk = story.pk
    story.delete()
    _after_change([pk])


def story_saved(
    *, story: Story, actor: Any, before: dict[str, Any] | None, message: str = ""
) -> None:
    """Log and reindex a story the admin saved through its form, after story_claim (a
    change) or as a new web story."""
    _after_change([story.pk])
    audit.record(
        action=AuditAction.STORY_EDITED if before is not None else AuditAction.STORY_ADDED,
        actor=actor,
        story=story,
        message=message,
        before=before,
        after=story_snapshot(story),
    )
