import pytest

from apps.search.query import MAX_QUERY_LENGTH, MAX_TERMS, parse_query


def test_words_phrases_and_exclusions() -> None:
    parsed = parse_query('cpu "ndots:5" -aws -"managed service" throttled')
    assert parsed.terms == ("cpu", "ndots:5", "throttled")
    assert parsed.phrases == ()
    assert parsed.excluded == ("aws", "managed service")


def test_multi_word_phrase() -> None:
    assert parse_query('"leader election" lease').phrases == ("leader election",)


def test_both_engine_forms_quote_everything() -> None:
    parsed = parse_query('quokka "a b" -c')
    assert parsed.websearch() == '"quokka" "a b" -"c"'
    assert parsed.fts5() == '(("quokka") AND ("a b")) NOT "c"'


def test_or_joins_alternatives_into_one_group() -> None:
    parsed = parse_query("quokka OR wombat lease")
    assert parsed.groups[0].alternatives == ("quokka", "wombat")
    assert parsed.groups[1].typed == "lease"
    assert "leader election" in parsed.groups[1].alternatives
    assert parsed.websearch().startswith('("quokka" OR "wombat") (')


def test_stop_words_are_dropped_on_both_engines() -> None:
    assert parse_query("should I remove the quokka").terms == ("remove", "quokka")


@pytest.mark.parametrize("raw", ["", ":::", "-aws", '""', "\x00"])
def test_nothing_to_look_for(raw: str) -> None:
    assert parse_query(raw).is_empty


def test_long_queries_are_cut_at_a_word_boundary() -> None:
    parsed = parse_query("word " * 1000)
    assert parsed.truncated
    assert len(parsed.text) <= MAX_QUERY_LENGTH
    assert len(parsed.terms) <= MAX_TERMS


def test_quotes_inside_terms_cannot_break_out() -> None:
    parsed = parse_query('a"b')
    assert '"' not in parsed.fts5().strip('()"').replace('""', "")


def test_a_swapped_letter_beats_a_shorter_word_with_more_shared_trigrams() -> None:
    from apps.search.typos import best_candidate, edit_distance

    assert edit_distance("etdc", "etcd") == 1
    assert edit_distance("corends", "core") == 3
    assert best_candidate("corends", ["core", "cores", "coredns", "commands"]) == "coredns"
    assert best_candidate("etdc", ["etcd"]) == "etcd"
    assert best_candidate("etdc", ["kubernetes"]) is None
