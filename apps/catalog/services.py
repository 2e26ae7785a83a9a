"""Writes to the catalogue that touch several models."""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from apps.catalog.links import canonicalize_url, parse_upstream_url
from apps.catalog.models import (
    Component,
    ComponentArea,
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
from apps.catalog.slugs import is_slug, slug_words
from apps.catalog.storyfiles.mapping import record_from_mitigation, record_from_story
from apps.catalog.storyfiles.parsing import Catalogue
from apps.catalog.storyfiles.payload import record_to_payload
from apps.catalog.storyfiles.records import Problem, StoryRecord
from apps.search.indexing import index_stories, unindexed_story_ids

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


class ImportRefused(Exception):
    """The files conflict with what the database holds; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportReport:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    without_file: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return bool(self.pruned or self.adopted) or any(
            c["created"] or c["updated"] for c in self.counts.values()
        )


def _upsert(
    model: type[M],
    existing: dict[str, M],
    *,
    slug: str,
    values: dict[str, Any],
    report: ImportReport,
    kind: str,
) -> M:
    obj = existing.get(slug)
    if obj is None:
        obj = model._default_manager.create(slug=slug, **values)
        existing[slug] = obj
        report.count(kind, "created")
    elif any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        report.count(kind, "updated")
    else:
        report.count(kind, "unchanged")
    return obj


def _import_taxonomy(catalogue: Catalogue, report: ImportReport) -> dict[str, Component]:
    taxonomy = catalogue.taxonomy
    areas = {a.slug: a for a in ComponentArea.objects.all()}
    components = {c.slug: c for c in Component.objects.all()}
    for area_position, area in enumerate(taxonomy.areas):
        area_obj = _upsert(
            ComponentArea,
            areas,
            slug=area.slug,
            values={"name": area.name, "description": area.description, "position": area_position},
            report=report,
            kind="areas",
        )
        for position, component in enumerate(area.components):
            _upsert(
                Component,
                components,
                slug=component.slug,
                values={
                    "area_id": area_obj.pk,
                    "name": component.name,
                    "description": component.description,
                    "aliases": list(component.aliases),
                    "position": position,
                },
                report=report,
                kind="components",
            )
    for model, terms, kind in (
        (Platform, taxonomy.platforms, "platforms"),
        (ImpactKind, taxonomy.impacts, "impacts"),
    ):
        rows = {row.slug: row for row in model.objects.all()}
        for position, term in enumerate(terms):
            values: dict[str, Any] = {
                "name": term.name,
                "aliases": list(term.aliases),
                "position": position,
            }
            if model is ImpactKind:
                values["description"] = term.description
            _upsert(model, rows, slug=term.slug, values=values, report=report, kind=kind)
    return components


def _import_mitigations(
    catalogue: Catalogue, components: dict[str, Component], report: ImportReport
) -> dict[str, Mitigation]:
    order = catalogue.taxonomy.component_order()
    existing = {m.slug: m for m in Mitigation.objects.prefetch_related("components")}
    for record in catalogue.mitigations:
        mitigation = existing.get(record.slug)
        links = [{"url": link.url, "title": link.title} for link in record.links]
        if mitigation is None:
            mitigation = Mitigation.objects.create(
                slug=record.slug, title=record.title, body=record.body, links=links
            )
            existing[record.slug] = mitigation
            report.count("mitigations", "created")
        elif record_from_mitigation(mitigation, component_order=order) == record:
            report.count("mitigations", "unchanged")
            continue
        else:
            mitigation.title, mitigation.body, mitigation.links = record.title, record.body, links
            mitigation.save()
            report.count("mitigations", "updated")
        mitigation.components.set([components[slug] for slug in record.components])
    return existing


def _organization(name: str, cache: dict[str, Organization]) -> Organization:
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


def _check_conflicts(
    catalogue: Catalogue,
    existing: dict[str, Story],
    file_slugs: set[str],
    prune: bool,
    orders: dict[str, dict[str, int]],
) -> list[Problem]:
    problems = []
    owners = {
        url: (slug, origin)
        for url, slug, origin in Source.objects.values_list(
            "canonical_url", "story__slug", "story__origin"
        )
    }
    for record in catalogue.stories:
        display = str(record.path or record.slug)
        story = existing.get(record.slug)
        if (
            story is not None
            and story.origin == Story.Origin.WEB
            and record_from_story(story, **orders) != record
        ):
            problems.append(
                Problem(
                    display,
                    "file name",
                    f"slug {record.slug!r} belongs to a web story with different content; "
                    f"write it out with `export_stories --slug {record.slug}` and edit that",
                )
            )
        for index, source in enumerate(record.sources):
            owner = owners.get(canonicalize_url(source.url))
            if owner is None or owner[0] == record.slug:
                continue
            will_move = owner[1] == Story.Origin.FILE and (owner[0] in file_slugs or prune)
            if not will_move:
                problems.append(
                    Problem(
                        display,
                        f"sources[{index}].url",
                        f"{source.url} is already a source of the story {owner[0]!r}",
                    )
                )
    return problems


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
    bump_version: bool = True,
) -> Story:
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
        if bump_version:
            story.version += 1
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


@transaction.atomic
def catalogue_import(
    *,
    catalogue: Catalogue,
    prune: bool = False,
    progress: Callable[[Iterable[StoryRecord]], Iterable[StoryRecord]] = lambda items: items,
) -> ImportReport:
    """Upsert the parsed fixtures into the database in one transaction.

    Stories are matched by slug; a story is written only when its record differs, so a
    second import changes nothing. Stories that came from the web are never touched.
    File stories without a file are listed, and deleted only with `prune`.
    Raises ImportRefused, writing nothing, when the catalogue has problems or conflicts
    with web stories.
    """
    if catalogue.problems:
        raise ImportRefused(catalogue.problems)
    report = ImportReport()
    components = _import_taxonomy(catalogue, report)
    mitigations = _import_mitigations(catalogue, components, report)
    taxonomy = catalogue.taxonomy
    orders = {
        "component_order": taxonomy.component_order(),
        "platform_order": taxonomy.platform_order(),
        "impact_order": taxonomy.impact_order(),
    }
    existing = {story.slug: story for story in Story.objects.for_detail()}
    file_slugs = {record.slug for record in catalogue.stories}
    conflicts = _check_conflicts(catalogue, existing, file_slugs, prune, orders)
    if conflicts:
        raise ImportRefused(conflicts)

    orphans = sorted(
        slug
        for slug, story in existing.items()
        if story.origin == Story.Origin.FILE and slug not in file_slugs
    )
    if prune and orphans:
        Story.objects.filter(slug__in=orphans).delete()
        report.pruned = orphans
    else:
        report.without_file = orphans

    # A web story whose exported file was committed unchanged becomes a file story.
    adopted = [
        slug
        for slug in file_slugs
        if slug in existing and existing[slug].origin == Story.Origin.WEB
    ]
    if adopted:
        Story.objects.filter(slug__in=adopted).update(origin=Story.Origin.FILE)
        report.adopted = sorted(adopted)

    changed = []
    for record in catalogue.stories:
        story = existing.get(record.slug)
        if story is not None and record_from_story(story, **orders) == record:
            report.count("stories", "unchanged")
            continue
        changed.append((story, record))
    # Free every source URL that is about to move before any story is written.
    Source.objects.filter(story__in=[story for story, _ in changed if story]).delete()

    lookups = _Lookups.load(components=components, mitigations=mitigations)
    by_record = {id(record): story for story, record in changed}
    written = []
    log = []
    for record in progress([record for _, record in changed]):
        story = by_record[id(record)]
        before = record_to_payload(record_from_story(story, **orders)) if story else None
        saved = _write_story(story, record, lookups)
        written.append(saved.pk)
        log.append((saved, before, record_to_payload(record)))
        report.count("stories", "created" if story is None else "updated")
    _log_imports(log)

    # Names and aliases of components and mitigations are part of every story's text.
    shared_text_changed = any(
        report.counts.get(kind, Counter())["updated"] for kind in ("components", "mitigations")
    )
    if shared_text_changed:
        index_stories()
    else:
        pruned_ids = [story.pk for slug, story in existing.items() if slug in report.pruned]
        index_stories([*written, *pruned_ids, *unindexed_story_ids()])
    _enqueue_first_checks(written)
    return report


def _log_imports(changes: list[tuple[Story, dict[str, Any] | None, dict[str, Any]]]) -> None:
    """Append one audit entry per story the import created or changed."""
    from apps.submissions.models import AuditAction, AuditEntry

    AuditEntry.objects.bulk_create(
        AuditEntry(
            action=AuditAction.STORY_IMPORTED,
            actor_name="import_stories",
            story=story,
            story_slug=story.slug,
            before=before,
            after=after,
        )
        for story, before, after in changes
    )


def _enqueue_first_checks(story_ids: list[int]) -> None:
    """Check new source links and upstream issues soon, when those jobs are enabled."""
    from apps.linkcheck.outbox import enqueue
    from apps.linkcheck.tasks import check_source, sync_upstream_issue

    if settings.LINKCHECK_ENABLED:
        for pk in Source.objects.filter(
            story_id__in=story_ids, last_checked_at__isnull=True
        ).values_list("pk", flat=True):
            enqueue(check_source, pk)
    if settings.UPSTREAM_SYNC_ENABLED:
        for pk in (
            UpstreamIssue.objects.filter(
                story_links__story_id__in=story_ids, last_checked_at__isnull=True
            )
            .distinct()
            .values_list("pk", flat=True)
        ):
            enqueue(sync_upstream_issue, pk)


class StoryVersionConflict(Exception):
    """Someone else changed the story since the caller read it."""


@transaction.atomic
def story_update(
    *,
    story: Story,
    expected_version: int,
    title: str | None = None,
    summary: str | None = None,
    status: str | None = None,
    components: list[Component] | None = None,
    platforms: list[Platform] | None = None,
    impacts: list[ImpactKind] | None = None,
    symptoms: list[str] | None = None,
) -> Story:
    """Change a story if it is still at `expected_version`; raise StoryVersionConflict if not.

    The version check and the increment are one UPDATE, so of two concurrent editors
    exactly one succeeds.
    """
    fields: dict[str, Any] = {
        name: value
        for name, value in (
            ("title", title),
            ("summary", summary),
            ("status", status),
            ("symptoms", symptoms),
        )
        if value is not None
    }
    if summary is not None:
        fields["summary_html"], fields["excerpt"] = rendered_fields(summary)
    claimed = Story.objects.filter(pk=story.pk, version=expected_version).update(
        version=models.F("version") + 1, updated_at=timezone.now(), **fields
    )
    if not claimed:
        raise StoryVersionConflict(story.slug)
    if components is not None:
        story.components.set(components)
    if platforms is not None:
        story.platforms.set(platforms)
    if impacts is not None:
        story.impacts.set(impacts)
    index_stories([story.pk])
    story.refresh_from_db()
    return story


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


class SourceTaken(Exception):
    """A source URL already belongs to another story."""

    def __init__(self, url: str, story: Story) -> None:
        super().__init__(f"{url} is already a source of the story {story.slug!r}")
        self.url = url
        self.story = story


def unique_story_slug(record: StoryRecord) -> str:
    """`<year>-<organization>-<title>` in story-file form, made unique with a number.

    Every part is a slug (see slug_words), so any title or organization gives a story
    file name and a URL that routes.
    """
    organization = slug_words(record.organization, fallback="organization")
    title = slug_words(record.title, fallback="story", limit=120)
    base = f"{record.date.year}-{organization}-{title}"[:120].strip("-")
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
        claimed = Story.objects.filter(pk=story.pk, version=expected_version).update(
            version=models.F("version") + 1, updated_at=timezone.now()
        )
        if not claimed:
            raise StoryVersionConflict(story.slug)
        story.refresh_from_db()
        # The database now differs from any story file: imports keep it until it is exported.
        story.origin = StoryOrigin.WEB
        story.sources.all().delete()
    written = _write_story(
        story, record, _Lookups.load(), origin=StoryOrigin.WEB, bump_version=False
    )
    index_stories([written.pk])
    _enqueue_first_checks([written.pk])
    return written
