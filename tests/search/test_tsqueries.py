"""PostgreSQL's tsqueries of a search: each alternative once, none that another implies,
matching and ranking as the query with every alternative does."""

import pytest
from django.db import connection

from apps.search.engine import _either, _PostgresQueries, _simplest
from apps.search.query import parse_query, quoted
from apps.search.typos import corrected
from tests.factories import StoryFactory


def test_each_alternative_is_kept_once() -> None:
    assert _simplest(["'dns' <-> 'lookup'", "'dns' <-> 'lookup'", "", "'dns'"]) == ["'dns'"]
    assert _simplest(["'leas'", "'leas'", "'leader' <-> 'elect'"]) == [
        "'leas'",
        "'leader' <-> 'elect'",
    ]


def test_a_phrase_holding_another_alternative_goes() -> None:
    throttling = [
        "'throttl'",
        "'cfs' <-> 'quota'",
        "'cpu-cfs-quota' <-> 'cpu' <-> 'cfs' <-> 'quota'",
        "'cfs' <-> 'quota' <-> 'us'",
        "'cpu' <-> 'throttl'",
    ]
    assert _simplest(throttling) == ["'throttl'", "'cfs' <-> 'quota'"]
    # One word implies every phrase holding it, whatever the distances.
    assert _simplest(["'ran' <3> 'memori'", "'memori'"]) == ["'memori'"]


def test_phrases_that_imply_nothing_else_stay() -> None:
    kept = ["'cfs' <2> 'quota'", "'cfs' <-> 'x' <-> 'quota'", "'quota' <-> 'cfs'"]
    assert _simplest([*kept, "'cfs' <-> 'quota'"]) == [*kept, "'cfs' <-> 'quota'"]
    # A phrase with a gap implies no other phrase: other words may fall in the gap.
    assert _simplest(["'certif' <2> 'expir'", "'certif' <-> 'expir' <-> 'soon'"]) == [
        "'certif' <2> 'expir'",
        "'certif' <-> 'expir' <-> 'soon'",
    ]
    assert _simplest(["'a' | 'b'", "'a'"]) == ["'a' | 'b'", "'a'"]


def test_highlights_mark_every_alternative_once() -> None:
    """The passages' tsquery keeps each alternative, an implied one too (its words are
    marked), but never twice: ts_headline's time grows with the operands it reads."""
    parsed = parse_query("dns lookups take 5 seconds")
    dns = "'dns' <-> 'lookup'"
    tsqueries = {quoted(a): dns for g in parsed.groups for a in g.alternatives}
    tsqueries |= {
        quoted("DNS queries"): "'dns' <-> 'queri'",
        quoted("DNS query"): "'dns' <-> 'queri'",
    }
    tsqueries |= {quoted("name resolution"): "'name' <-> 'resolut'", quoted("DNS requests"): ""}
    tsqueries |= {quoted("take"): "'take'", quoted("seconds"): "'second'"}
    queries = _PostgresQueries.of(parsed, tsqueries)
    assert queries.highlight == _either(
        [dns, "'dns' <-> 'queri'", "'name' <-> 'resolut'", "'take'", "'second'"]
    )
    implied = _PostgresQueries.of(
        parse_query("throttling"),
        {quoted(a): "'throttl'" for a in parse_query("throttling").groups[0].alternatives}
        | {quoted("CPU throttling"): "'cpu' <-> 'throttl'"},
    )
    assert implied.alternatives == ["'throttl'"]
    assert "'cpu' <-> 'throttl'" in implied.highlight


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["throttling", "OOMKilled", "dns lookups take 5 seconds", "leader election -etcd"],
)
def test_the_fewer_alternatives_match_and_rank_as_all_of_them(query: str) -> None:
    texts = [
        "CPU throttling from the CFS quota: cpu.cfs_quota_us was low, throttled pods.",
        "The OOM killer ran out of memory; OOMKilled pods, the kernel OOM killed them.",
        "DNS lookups took 5 seconds; DNS queries and name resolution were slow.",
        "The leader election lease was lost; leader changed and the lease lock moved.",
        "Nothing to see in this one but a quota and a lease renewal after 5 seconds.",
    ]
    for text in texts:
        StoryFactory(title=text[:40], summary=text)
    parsed = parse_query(query)
    lookup = corrected(parsed, tsqueries_of=_PostgresQueries.texts(parsed))
    queries = _PostgresQueries.of(lookup.query, lookup.tsqueries)
    every = [lookup.tsqueries[quoted(a)] for g in lookup.query.groups for a in g.alternatives]
    assert len(queries.alternatives) < len(every)
    before, after = (_either(ts) for ts in (every, queries.alternatives))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_rank_cd(v, %s::tsquery, 1), ts_rank_cd(v, %s::tsquery, 1), "
            "v @@ %s::tsquery, v @@ %s::tsquery "
            "FROM (SELECT to_tsvector('english', summary) v FROM catalog_story) d",
            [before, after, before, after],
        )
        rows = cursor.fetchall()
    assert any(rank > 0 for rank, *_ in rows)
    for rank, simpler_rank, matched, simpler_matched in rows:
        assert rank == pytest.approx(simpler_rank, abs=1e-9) and matched == simpler_matched
