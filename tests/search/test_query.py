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
    parsed = parse_query('or "a b" -c')
    assert parsed.websearch() == '"or" "a b" -"c"'
    assert parsed.fts5() == '"or" "a b" NOT "c"'


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
    assert '"' not in parsed.fts5().strip('"').replace('""', "")
