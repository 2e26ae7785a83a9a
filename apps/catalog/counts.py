"""Public story counts kept up to date by the changes made since the last refresh, not by
counting the catalogue again.

Every public story is counted under a set of keys: "t" (every story), "y<year>",
"o<organization id>", "c<component id>", "a<area id>" and "ya<year>:<area id>" (once per
area, however many of its components), "p<platform id>" ("p" when none), "i<impact id>",
"k<source kind>" (once per kind) and "m<mitigation id>". CatalogueCount holds the number of
public stories per key and CountedStory the keys each story was counted under. A refresh
(apps/catalog/aggregates.py) hands over the stories its change log names: their keys are
read again, and each count moves by the keys gained and lost. The work is proportional to
the stories that changed, whatever the size of the catalogue; when the log asks for it (a
migration) or names more than FULL_RECOUNT_OVER stories (an import), everything is counted
again in the database, a few statements whatever the size of the catalogue.
Refreshes are serialised, so a story counted twice (its write committed while a refresh ran)
moves nothing the second time.
"""

# The SQL below is built from table names and constants, never from input.
# ruff: noqa: S608

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import F

from apps.catalog.models import (
    PUBLIC_STATUS,
    CatalogueCount,
    Component,
    CountedStory,
    Source,
    Story,
    StoryMitigation,
)

FULL_RECOUNT_OVER = 5000
CHUNK = 2000


# The keys a story was counted under before a refresh and is counted under after it.
KeysMoved = tuple[frozenset[str], frozenset[str]]


def update_counts(*, story_ids: Iterable[int], recount: bool = False) -> list[KeysMoved] | None:
    """Bring the counts up to date for the stories `story_ids` (all of them if `recount`).
    Runs inside the refresh's transaction. Returns the keys before and after of each story
    whose keys moved, or None when everything was counted again."""
    changed = set(story_ids)
    if recount or len(changed) > FULL_RECOUNT_OVER:
        _recount_all()
        return None
    moved: list[KeysMoved] = []
    delta: Counter[str] = Counter()
    ordered = sorted(changed)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        old = {
            pk: set(keys.split())
            for pk, keys in CountedStory.objects.filter(story_id__in=chunk).values_list(
                "story_id", "keys"
            )
        }
        new = story_keys(chunk)
        for pk in chunk:
            before, after = old.get(pk, set()), new.get(pk, set())
            delta.update(after - before)
            delta.subtract(before - after)
            if before != after:
                moved.append((frozenset(before), frozenset(after)))
        CountedStory.objects.filter(story_id__in=chunk).delete()
        _store_stories(new)
    return moved if _apply(delta) else None


def _recount_all() -> None:
    """Every public story counted again, in the database: the same few statements
    whatever the size of the catalogue."""
    counted, counts = CountedStory._meta.db_table, CatalogueCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {counted}")
        cursor.execute(f"DELETE FROM {counts}")
        if connection.vendor == "postgresql":
            # About a dozen keys per story to group in memory rather than on disk; only for
            # this transaction (a refresh runs in one).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                f"{_public_stories_sql()} INSERT INTO {counted} (story_id, keys) SELECT story_id, "
                f"string_agg(key, ' ') FROM ({_pairs_sql()}) AS p GROUP BY story_id"
            )
            # From the rows just written, so the counts and the stories' keys agree even if
            # a story changed in between (its change row is still logged for later).
            cursor.execute(
                f"INSERT INTO {counts} (key, stories) SELECT k, COUNT(*) FROM {counted}, "
                "unnest(string_to_array(keys, ' ')) AS k GROUP BY k"
            )
        else:
            # One snapshot for the whole transaction: both statements see the same stories.
            cursor.execute(
                f"{_public_stories_sql()} INSERT INTO {counted} (story_id, keys) SELECT story_id, "
                f"group_concat(key, ' ') FROM ({_pairs_sql()}) AS p GROUP BY story_id"
            )
            cursor.execute(
                f"{_public_stories_sql()} INSERT INTO {counts} (key, stories) SELECT key, "
                f"COUNT(*) FROM ({_pairs_sql()}) AS p GROUP BY key"
            )


def _public_stories_sql() -> str:
    """The public stories' few columns the keys need, read once (a scan of the wide story
    table, not one per kind of key)."""
    return (
        "WITH public_stories (id, published_on, organization_id) AS MATERIALIZED "
        f"(SELECT id, published_on, organization_id FROM {Story._meta.db_table} "
        f"WHERE status = '{PUBLIC_STATUS}')"
    )


def _pairs_sql() -> str:
    """(story_id, key) for every key of every public story, over public_stories; the SQL
    twin of story_keys()."""
    if connection.vendor == "postgresql":
        year = "CAST(EXTRACT(YEAR FROM s.published_on) AS INTEGER)"
    else:
        year = "CAST(strftime('%Y', s.published_on) AS INTEGER)"
    text = "CAST({} AS TEXT)".format
    story = "public_stories s"
    components = Story.components.through._meta.db_table
    platforms = Story.platforms.through._meta.db_table
    impacts = Story.impacts.through._meta.db_table
    component, source = Component._meta.db_table, Source._meta.db_table
    mitigations = StoryMitigation._meta.db_table
    on_story = f"JOIN {story} ON s.id = l.story_id"
    return " UNION ALL ".join(
        [
            f"SELECT s.id AS story_id, 't' AS key FROM {story}",
            f"SELECT s.id, 'y' || {text(year)} FROM {story}",
            f"SELECT s.id, 'o' || {text('s.organization_id')} FROM {story} "
            "WHERE s.organization_id IS NOT NULL",
            f"SELECT l.story_id, 'c' || {text('l.component_id')} FROM {components} l {on_story}",
            f"SELECT DISTINCT l.story_id, 'a' || {text('c.area_id')} FROM {components} l "
            f"{on_story} JOIN {component} c ON c.id = l.component_id",
            f"SELECT DISTINCT l.story_id, 'ya' || {text(year)} || ':' || {text('c.area_id')} "
            f"FROM {components} l {on_story} JOIN {component} c ON c.id = l.component_id",
            f"SELECT l.story_id, 'p' || {text('l.platform_id')} FROM {platforms} l {on_story}",
            f"SELECT s.id, 'p' FROM {story} WHERE NOT EXISTS "
            f"(SELECT 1 FROM {platforms} l WHERE l.story_id = s.id)",
            f"SELECT l.story_id, 'i' || {text('l.impactkind_id')} FROM {impacts} l {on_story}",
            f"SELECT DISTINCT l.story_id, 'k' || l.kind FROM {source} l {on_story}",
            f"SELECT l.story_id, 'm' || {text('l.mitigation_id')} FROM {mitigations} l {on_story}",
        ]
    )


def _store_stories(keys: dict[int, set[str]]) -> None:
    CountedStory.objects.bulk_create(
        [CountedStory(story_id=pk, keys=" ".join(sorted(k))) for pk, k in keys.items()],
        batch_size=CHUNK,
    )


def _apply(delta: Counter[str]) -> bool:
    """Move the stored counts by `delta`; False when they had to be counted again."""
    # "t" always, so the same three statements run whatever moved.
    moved = {"t": 0} | {key: n for key, n in delta.items() if n}
    current = dict(CatalogueCount.objects.filter(key__in=list(moved)).values_list("key", "stories"))
    totals = {key: current.get(key, 0) + n for key, n in moved.items()}
    if any(n < 0 for n in totals.values()):
        # Only if the stored counts were altered by hand: start again from the stories.
        _recount_all()
        return False
    CatalogueCount.objects.bulk_create(
        [CatalogueCount(key=key, stories=n) for key, n in totals.items()],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["stories"],
    )
    CatalogueCount.objects.filter(stories=0).delete()
    return True


def story_keys(story_ids: list[int]) -> dict[int, set[str]]:
    """The keys each public story of `story_ids` is counted under (absent: not public)."""
    keys: dict[int, set[str]] = {}
    years: dict[int, int] = {}
    for pk, published_on, organization_id in (
        Story.objects.public()
        .filter(pk__in=story_ids)
        .order_by()
        .values_list("pk", "published_on", "organization_id")
    ):
        years[pk] = published_on.year
        story = keys[pk] = {"t", f"y{published_on.year}"}
        if organization_id is not None:
            story.add(f"o{organization_id}")
    public = list(keys)
    if not public:
        return keys
    components = Story.components.through.objects.filter(story_id__in=public).order_by()
    for pk, component, area in components.values_list(
        "story_id", "component_id", F("component__area_id")
    ):
        keys[pk].update((f"c{component}", f"a{area}", f"ya{years[pk]}:{area}"))
    platforms = Story.platforms.through.objects.filter(story_id__in=public).order_by()
    for pk, platform in platforms.values_list("story_id", "platform_id"):
        keys[pk].add(f"p{platform}")
    for story in keys.values():
        if not any(key.startswith("p") for key in story):
            story.add("p")
    impacts = Story.impacts.through.objects.filter(story_id__in=public).order_by()
    for pk, impact in impacts.values_list("story_id", "impactkind_id"):
        keys[pk].add(f"i{impact}")
    for pk, kind in (
        Source.objects.filter(story_id__in=public).order_by().values_list("story_id", "kind")
    ):
        keys[pk].add(f"k{kind}")
    mitigations = StoryMitigation.objects.filter(story_id__in=public).order_by()
    for pk, mitigation in mitigations.values_list("story_id", "mitigation_id"):
        keys[pk].add(f"m{mitigation}")
    return keys


def stored_counts(prefix: str = "") -> dict[str, int]:
    """The stored counts whose key starts with `prefix` (every one by default)."""
    rows = CatalogueCount.objects.all()
    if prefix:
        rows = rows.filter(key__startswith=prefix)
    return dict(rows.values_list("key", "stories"))
