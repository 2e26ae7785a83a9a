"""Importing the curated catalogue (story files) into the database.

Stories arrive one file at a time and are compared, written, logged and indexed a batch
at a time, with a fixed number of queries per batch, so time grows linearly with the
catalogue. Memory holds one batch, the file names, a digest of each source URL seen so far
(apps/catalog/storyfiles/firstseen.py) and a bit for each story id: a few MB at 100k stories.
"""

import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models.functions import MD5

from apps.catalog.links import UpstreamRef, canonicalize_url, parse_upstream_url
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
    StoryUpstreamIssue,
    UpstreamIssue,
)
from apps.catalog.rendering import rendered_fields
from apps.catalog.rows import Relations, RowsByStory, rows_by_story
from apps.catalog.services import stories_claim
from apps.catalog.signals import catalogue_imported, stories_changed, story_links_written
from apps.catalog.slugs import slug_words
from apps.catalog.snapshots import story_snapshot
from apps.catalog.storyfiles.mapping import record_from_mitigation
from apps.catalog.storyfiles.parsing import Catalogue
from apps.catalog.storyfiles.payload import record_to_payload
from apps.catalog.storyfiles.records import (
    MitigationLinkRecord,
    Problem,
    SourceRecord,
    StoryRecord,
    UpstreamRecord,
)
from apps.catalog.storyfiles.summaries import StoredSummaries
from apps.catalog.terms import DatabaseTerms
from apps.core.models import AuditAction, AuditEntry
from apps.core.sharedcache import catalogue_changed

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
BATCH_SIZE = 500
UpstreamKey = tuple[str, str, str, int]


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

    def count(self, kind: str, outcome: str, number: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += number

    @property
    def changed(self) -> bool:
        return bool(self.pruned or self.adopted) or any(
            c["created"] or c["updated"] for c in self.counts.values()
        )


class _StoryIds:
    """A set of story ids as a bitmap, an eighth of a byte for each id up to the largest."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def add(self, pk: int) -> None:
        index = pk >> 3
        if index >= len(self.bits):
            self.bits.extend(bytes(max(index + 1 - len(self.bits), len(self.bits))))
        self.bits[index] |= 1 << (pk & 7)

    def __contains__(self, pk: int) -> bool:
        index = pk >> 3
        return index < len(self.bits) and bool(self.bits[index] >> (pk & 7) & 1)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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


def _import_taxonomy(catalogue: Catalogue, report: ImportReport) -> None:
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
            else:
                values["kind"] = term.kind
            _upsert(model, rows, slug=term.slug, values=values, report=report, kind=kind)


def _import_mitigations(catalogue: Catalogue, report: ImportReport) -> None:
    order = catalogue.taxonomy.component_order()
    components = {c.slug: c for c in Component.objects.all()}
    existing = {m.slug: m for m in Mitigation.objects.prefetch_related("components")}
    for record in catalogue.mitigations:
        mitigation = existing.get(record.slug)
        links = [{"url": link.url, "title": link.title} for link in record.links]
        if mitigation is None:
            mitigation = Mitigation.objects.create(
                slug=record.slug, title=record.title, body=record.body, links=links
            )
            report.count("mitigations", "created")
        elif record_from_mitigation(mitigation, component_order=order) == record:
            report.count("mitigations", "unchanged")
            continue
        else:
            mitigation.title, mitigation.body, mitigation.links = record.title, record.body, links
            mitigation.save()
            report.count("mitigations", "updated")
        mitigation.components.set([components[slug] for slug in record.components])


def stored_summaries() -> StoredSummaries:
    """The summaries of the file stories stored, for `stream_catalogue(render_except=...)`:
    the parsing process then renders only new summaries, while this one writes."""
    digests = Story.objects.from_files().annotate(digest=MD5("summary"))
    return StoredSummaries(digests.values_list("digest", flat=True).iterator(chunk_size=10_000))


def _display(record: StoryRecord) -> str:
    return str(record.path or record.slug)


def _slug_ids(model: type[models.Model]) -> dict[str, int]:
    return dict(model._default_manager.values_list("slug", "pk"))


def _upstream_key(url: str) -> tuple[UpstreamKey, UpstreamRef]:
    ref = parse_upstream_url(url)
    return (ref.tracker, ref.owner.lower(), ref.repo.lower(), ref.number), ref


# The story columns an import reads, in the order _story_from_row and _record_from_row take.
_STORY_COLUMNS = (
    "pk", "slug", "origin", "version", "title", "organization__name", "published_on",
    "date_precision", "summary", "summary_html", "excerpt", "verification", "symptoms",
)  # fmt: skip
StoryRow = tuple[Any, ...]
# Each relation a record holds, as (queryset, the columns read for each story).
_LINKS: Relations = {
    "sources": (Source.objects.order_by("story_id", "position", "id"), ("url", "kind", "title")),
    "components": (Story.components.through.objects.all(), ("component__slug",)),
    "platforms": (Story.platforms.through.objects.all(), ("platform__slug",)),
    "impacts": (Story.impacts.through.objects.all(), ("impactkind__slug",)),
    "upstream": (
        StoryUpstreamIssue.objects.order_by("story_id", "position", "id"),
        ("upstream_issue__url", "note"),
    ),
    "mitigations": (
        StoryMitigation.objects.order_by("story_id", "position", "id"),
        ("mitigation__slug", "note"),
    ),
}


def _stored_records(
    slugs: Iterable[str], orders: dict[str, dict[str, int]]
) -> dict[str, tuple[Story, StoryRecord]]:
    """The stories with these slugs (only the columns an import reads) and their records.

    Seven queries of plain rows rather than model instances for every relation; the
    records equal record_from_story's (tests/catalog/test_import_batches.py holds them so).
    """
    rows = list(Story.objects.filter(slug__in=slugs).values_list(*_STORY_COLUMNS))
    if not rows:
        return {}
    links = rows_by_story(_LINKS, [row[0] for row in rows])
    return {row[1]: (_story_from_row(row), _record_from_row(row, links, orders)) for row in rows}


def _story_from_row(row: StoryRow) -> Story:
    """The unsaved Story an import compares and updates: the columns it keeps or reuses."""
    pk, slug, origin, version, *_, summary, html, excerpt, _, _ = row
    return Story(
        pk=pk,
        slug=slug,
        origin=origin,
        version=version,
        summary=summary,
        summary_html=html,
        excerpt=excerpt,
    )


def _record_from_row(
    row: StoryRow, links: RowsByStory, orders: dict[str, dict[str, int]]
) -> StoryRecord:
    (pk, slug, _, _, title, organization, date, precision, summary, _, _, verified,
     symptoms) = row  # fmt: skip

    def terms(relation: str, order: str) -> tuple[str, ...]:
        return _ordered((slug for (slug,) in links[relation].get(pk, ())), orders[order])

    return StoryRecord(
        slug=slug,
        title=title,
        organization=organization or "",
        date=date,
        date_precision=precision,
        sources=tuple(
            SourceRecord(url=url, kind=kind, title=source_title)
            for url, kind, source_title in links["sources"].get(pk, ())
        ),
        components=terms("components", "component_order"),
        platforms=terms("platforms", "platform_order"),
        impacts=terms("impacts", "impact_order"),
        upstream=tuple(
            UpstreamRecord(url=url, note=note) for url, note in links["upstream"].get(pk, ())
        ),
        mitigations=tuple(
            MitigationLinkRecord(slug=mitigation, note=note)
            for mitigation, note in links["mitigations"].get(pk, ())
        ),
        verified=verified,
        summary=summary.strip(),
        symptoms=tuple(symptoms or ()),
    )


def _ordered(slugs: Iterable[str], order: dict[str, int]) -> tuple[str, ...]:
    """Term slugs in the taxonomy's order (unknown ones last, by name)."""
    return tuple(sorted(slugs, key=lambda slug: (order.get(slug, len(order)), slug)))


# The relation tables a story's file content is spread over, rewritten for each changed story.
_LINK_MODELS: tuple[type[models.Model], ...] = (
    Story.components.through,
    Story.platforms.through,
    Story.impacts.through,
    Source,
    StoryUpstreamIssue,
    StoryMitigation,
)


class _StoryImport:
    """Story files compared with and written to the database, one batch at a time."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        prune: bool,
        report: ImportReport,
        added: Mapping[str, datetime.datetime],
    ) -> None:
        taxonomy = catalogue.taxonomy
        self.orders = {
            "component_order": taxonomy.component_order(),
            "platform_order": taxonomy.platform_order(),
            "impact_order": taxonomy.impact_order(),
        }
        self.prune = prune
        self.report = report
        self.added = added
        self.components = _slug_ids(Component)
        self.platforms = _slug_ids(Platform)
        self.impacts = _slug_ids(ImpactKind)
        self.mitigations = _slug_ids(Mitigation)
        # Organizations and upstream issues of the batch being written (read a batch at a
        # time: at 100k stories, every one of them held at once would be tens of MB).
        self.organizations: dict[str, int] = {}
        self.upstream: dict[UpstreamKey, int] = {}
        # The stories that have a file, as they are read: an eighth of a byte a story.
        self.with_file = _StoryIds()
        self.problems: list[Problem] = []
        # A source URL taken from a file story not yet read (by its id): fine if that story
        # is in the files too (it is rewritten without it) or is pruned; a conflict otherwise.
        self.moves: list[tuple[int, Problem]] = []
        # What such a story held before its URL moved, for its comparison and audit entry.
        self.before_move: dict[str, StoryRecord] = {}

    def add(self, records: list[StoryRecord], *, write: bool) -> None:
        """Compare a batch with the database; unless a problem was found, write what differs."""
        stored = _stored_records([r.slug for r in records], self.orders)
        for story, _ in stored.values():
            self.with_file.add(story.pk)
        new: list[StoryRecord] = []
        changed: list[tuple[Story, StoryRecord, StoryRecord]] = []
        adopted: list[Story] = []
        refused: list[StoryRecord] = []
        problems_before = len(self.problems)
        for record in records:
            if record.slug not in stored:
                new.append(record)
                continue
            story, before = stored[record.slug]
            before = self.before_move.pop(record.slug, before)
            if before == record:
                self.report.count("stories", "unchanged")
                if story.origin == Story.Origin.WEB:
                    # A web story whose exported file was committed unchanged becomes a file story.
                    adopted.append(story)
            elif story.origin == Story.Origin.FILE:
                changed.append((story, record, before))
            else:
                refused.append(record)
                self.problems.append(
                    Problem(
                        _display(record),
                        "file name",
                        f"slug {record.slug!r} belongs to a web story with different "
                        f"content; write it out with `export_stories --slug {record.slug}` "
                        "and edit that",
                    )
                )
        writing = [*new, *(record for _, record, _ in changed)]
        taken = self._taken_sources(writing, also_check=refused)
        if not write or len(self.problems) > problems_before:
            return
        if adopted:
            Story.objects.filter(pk__in=[story.pk for story in adopted]).update(
                origin=Story.Origin.FILE
            )
            self.report.adopted.extend(story.slug for story in adopted)
        if writing:
            self._free_sources(taken)
            self._write(new, changed)

    def _taken_sources(
        self, records: list[StoryRecord], *, also_check: list[StoryRecord]
    ) -> dict[str, str]:
        """Source URLs of these records that belong to other stories: {URL: owner slug}.

        A web story's URL is a conflict. A file story's URL moves, if that story is in the
        files as well or is pruned.
        """
        wanted = {
            canonicalize_url(source.url): (record, index)
            for record in [*records, *also_check]
            for index, source in enumerate(record.sources)
        }
        writing = {record.slug for record in records}
        taken: dict[str, str] = {}
        owners = Source.objects.filter(canonical_url__in=wanted).values_list(
            "canonical_url", "story_id", "story__slug", "story__origin"
        )
        for url, owner_id, owner, origin in owners:
            record, index = wanted[url]
            if owner == record.slug or owner in writing:  # or rewritten in this batch
                continue
            problem = Problem(
                _display(record),
                f"sources[{index}].url",
                f"{record.sources[index].url} is already a source of the story {owner!r}",
            )
            if origin == Story.Origin.WEB:
                self.problems.append(problem)
            else:
                self.moves.append((owner_id, problem))
                taken[url] = owner
        return taken

    def _free_sources(self, taken: dict[str, str]) -> None:
        if not taken:
            return
        owners = set(taken.values()) - self.before_move.keys()
        for slug, (_, record) in _stored_records(owners, self.orders).items():
            self.before_move[slug] = record
        Source.objects.filter(canonical_url__in=taken).delete()

    def _write(
        self, new: list[StoryRecord], changed: list[tuple[Story, StoryRecord, StoryRecord]]
    ) -> None:
        records = [*new, *(record for _, record, _ in changed)]
        self._add_organizations(records)
        self._add_upstream_issues(records)
        created = [
            Story(
                slug=record.slug,
                status=Story.Status.PUBLISHED,
                origin=Story.Origin.FILE,
                **self._fields(record, rendered=record.rendered),
            )
            for record in new
        ]
        Story.objects.bulk_create(created)
        for story in created:
            self.with_file.add(story.pk)
        dated = [story for story in created if story.slug in self.added]
        for story in dated:
            story.created_at = self.added[story.slug]
        Story.objects.bulk_update(dated, ["created_at"])
        updated = []
        for story, record, _ in changed:
            same_summary = story.summary == record.summary
            rendered = (story.summary_html, story.excerpt) if same_summary else record.rendered
            for name, value in self._fields(record, rendered=rendered).items():
                setattr(story, name, value)
            updated.append(story)
        if updated:
            # The version rule of every change: none was changed since it was read.
            stories_claim(stories=updated)
            changed_ids = [story.pk for story in updated]
            for model in _LINK_MODELS:
                model._default_manager.filter(story_id__in=changed_ids).delete()
            Story.objects.bulk_update(updated, [*self._fields(changed[0][1], rendered=("", ""))])
        pairs = [*zip(created, new, strict=True), *((s, r) for s, r, _ in changed)]
        self._write_links(pairs)
        self._log(
            [(story, None, record) for story, record in zip(created, new, strict=True)]
            + [(story, before, record) for story, record, before in changed]
        )
        ids = [story.pk for story, _ in pairs]
        stories_changed.send(sender=Story, story_ids=ids)
        story_links_written.send(sender=Story, story_ids=ids)
        self.report.count("stories", "created", len(created))
        self.report.count("stories", "updated", len(updated))

    def _fields(self, record: StoryRecord, *, rendered: tuple[str, str] | None) -> dict[str, Any]:
        """A story's columns from its record; `rendered` is its summary's HTML and excerpt
        (rendered here when None)."""
        summary_html, excerpt = (
            rendered if rendered is not None else rendered_fields(record.summary)
        )
        return {
            "title": record.title,
            "organization_id": self.organizations.get(record.organization),
            "published_on": record.date,
            "date_precision": record.date_precision,
            "summary": record.summary,
            "summary_html": summary_html,
            "excerpt": excerpt,
            "verification": record.verified,
            "symptoms": list(record.symptoms),
        }

    def _add_organizations(self, records: list[StoryRecord]) -> None:
        """The batch's organizations by name (self.organizations), creating those missing."""
        names = {r.organization for r in records if r.organization}
        self.organizations = dict(
            Organization.objects.filter(name__in=names).values_list("name", "pk")
        )
        missing = sorted(names - self.organizations.keys())
        bases = {name: slug_words(name, fallback="organization") for name in missing}
        taken = set(
            Organization.objects.filter(slug__in=set(bases.values())).values_list("slug", flat=True)
        )
        for base in sorted(taken):  # rare: another name with the same slug
            taken.update(
                Organization.objects.filter(slug__startswith=f"{base}-").values_list(
                    "slug", flat=True
                )
            )
        created = []
        for name in missing:
            base = bases[name]
            slug, suffix = base, 2
            while slug in taken:
                slug, suffix = f"{base}-{suffix}", suffix + 1
            taken.add(slug)
            created.append(Organization(name=name, slug=slug))
        Organization.objects.bulk_create(created)
        self.organizations.update((o.name, o.pk) for o in created)

    def _add_upstream_issues(self, records: list[StoryRecord]) -> None:
        """The batch's upstream issues by key (self.upstream), creating those missing."""
        wanted: dict[UpstreamKey, UpstreamRef] = {}
        for record in records:
            for link in record.upstream:
                key, ref = _upstream_key(link.url)
                wanted.setdefault(key, ref)
        self.upstream = {
            (tracker, owner.lower(), repo.lower(), number): pk
            for tracker, owner, repo, number, pk in UpstreamIssue.objects.filter(
                number__in={key[3] for key in wanted}
            ).values_list("tracker", "owner", "repo", "number", "pk")
        }
        missing = {key: ref for key, ref in wanted.items() if key not in self.upstream}
        created = [
            UpstreamIssue(
                url=ref.url,
                tracker=ref.tracker,
                owner=ref.owner,
                repo=ref.repo,
                number=ref.number,
                kind=ref.kind,
            )
            for ref in missing.values()
        ]
        UpstreamIssue.objects.bulk_create(created)
        self.upstream.update(zip(missing, (issue.pk for issue in created), strict=True))

    def _write_links(self, pairs: list[tuple[Story, StoryRecord]]) -> None:
        for relation, ids, attribute in (
            (Story.components, self.components, "components"),
            (Story.platforms, self.platforms, "platforms"),
            (Story.impacts, self.impacts, "impacts"),
        ):
            through: type[models.Model] = relation.through
            target = f"{relation.field.m2m_reverse_field_name()}_id"
            through._default_manager.bulk_create(
                through(story_id=story.pk, **{target: ids[slug]})
                for story, record in pairs
                for slug in getattr(record, attribute)
            )
        Source.objects.bulk_create(
            Source(
                story_id=story.pk,
                url=source.url,
                canonical_url=canonicalize_url(source.url),
                kind=source.kind,
                title=source.title,
                position=position,
            )
            for story, record in pairs
            for position, source in enumerate(record.sources)
        )
        StoryUpstreamIssue.objects.bulk_create(
            StoryUpstreamIssue(
                story_id=story.pk,
                upstream_issue_id=self.upstream[_upstream_key(link.url)[0]],
                note=link.note,
                position=position,
            )
            for story, record in pairs
            for position, link in enumerate(record.upstream)
        )
        StoryMitigation.objects.bulk_create(
            StoryMitigation(
                story_id=story.pk,
                mitigation_id=self.mitigations[link.slug],
                note=link.note,
                position=position,
            )
            for story, record in pairs
            for position, link in enumerate(record.mitigations)
        )

    def _log(self, changes: list[tuple[Story, StoryRecord | None, StoryRecord]]) -> None:
        """Append one audit entry per story the import created or changed."""
        AuditEntry.objects.bulk_create(
            _entry(
                story,
                AuditAction.STORY_IMPORTED,
                before=record_to_payload(before) if before else None,
                after=record_to_payload(after),
            )
            for story, before, after in changes
        )

    def finish(self) -> list[int]:
        """Settle stories without a file and moved URLs; the ids of pruned stories."""
        orphans = sorted(
            slug
            for pk, slug in Story.objects.from_files().values_list("pk", "slug").iterator()
            if pk not in self.with_file
        )
        self.problems += [
            problem
            for owner, problem in self.moves
            if owner not in self.with_file and not self.prune
        ]
        if not (self.prune and orphans):
            self.report.without_file = orphans
            return []
        pruned_ids: list[int] = []
        terms = DatabaseTerms()
        for batch in _batches(orphans, BATCH_SIZE):
            stories = list(Story.objects.filter(slug__in=batch).order_by("slug"))
            _log_deletions(stories, terms)
            ids = [story.pk for story in stories]
            Story.objects.filter(pk__in=ids).delete()
            pruned_ids += ids
        self.report.pruned = orphans
        return pruned_ids


def _log_deletions(stories: Iterable[Story], terms: DatabaseTerms) -> None:
    """Append a deletion entry, with what it held, for each story the import prunes."""
    AuditEntry.objects.bulk_create(
        _entry(
            story,
            AuditAction.STORY_DELETED,
            message="Its file was removed (import_stories --prune).",
            before=story_snapshot(story, terms),
        )
        for story in stories
    )


def _entry(story: Story, action: AuditAction, **fields: Any) -> AuditEntry:
    """An audit entry the import writes about `story`."""
    return AuditEntry(
        action=action,
        actor_name="import_stories",
        story_id=story.pk,
        story_slug=story.slug,
        **fields,
    )


def _changed_in_batches(ids: Iterable[int]) -> None:
    for batch in _batches(ids, BATCH_SIZE):
        stories_changed.send(sender=Story, story_ids=batch)


@transaction.atomic
def catalogue_import(
    *,
    catalogue: Catalogue,
    stories: Iterable[StoryRecord] | None = None,
    prune: bool = False,
    progress: Callable[[Iterable[StoryRecord]], Iterable[StoryRecord]] = lambda items: items,
    batch_size: int | None = None,
    added: Mapping[str, datetime.datetime] | None = None,
) -> ImportReport:
    """Upsert the parsed fixtures into the database in one transaction.

    Stories are matched by slug; a story is written only when its record differs, so a
    second import changes nothing. Stories that came from the web are never touched; one
    whose file matches it exactly is adopted as a file story. File stories without a file
    are listed, and deleted only with `prune` (each logged as a deletion with what it held).
    Each created or changed story gets an audit entry, its search document and, when
    enabled, first link checks.

    `stories` (default: `catalogue.stories`) may be the iterator of `stream_catalogue`,
    read once, a batch at a time. `added` dates new stories by slug (when their files
    entered the repository); others are dated now. Raises ImportRefused, writing nothing, when the
    catalogue has problems (including those found while reading `stories`) or conflicts
    with web stories.
    """
    if catalogue.problems:
        raise ImportRefused(catalogue.problems)
    report = ImportReport()
    catalogue_changed()  # bulk writes send no signals
    _import_taxonomy(catalogue, report)
    _import_mitigations(catalogue, report)
    importer = _StoryImport(catalogue=catalogue, prune=prune, report=report, added=added or {})
    records = catalogue.stories if stories is None else stories
    for batch in _batches(progress(records), batch_size or BATCH_SIZE):
        # After the first problem, the rest is only read and checked, so all are reported.
        importer.add(batch, write=not (catalogue.problems or importer.problems))
    pruned_ids = importer.finish()
    problems = catalogue.problems + importer.problems
    if problems:
        raise ImportRefused(sorted(problems))
    catalogue_imported.send(sender=Catalogue, catalogue=catalogue, report=report)

    # Names and aliases of components and mitigations are part of every story's text.
    shared_text_changed = any(
        report.counts.get(kind, Counter())["updated"] for kind in ("components", "mitigations")
    )
    if shared_text_changed:
        _changed_in_batches(Story.objects.order_by("pk").values_list("pk", flat=True).iterator())
    _changed_in_batches(pruned_ids)
    return report
