"""Pasted log lines and errors become the words worth searching for."""

import pytest

from apps.search.query import MAX_QUERY_LENGTH, parse_query


def words(raw: str) -> list[str]:
    return [g.typed for g in parse_query(raw).groups]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dial udp 10.3.0.10:53: i/o timeout", ["dial", "udp", "i/o timeout"]),
        (
            "etcdserver: mvcc: database space exceeded",
            ["etcdserver", "mvcc", "database space exceeded"],
        ),
        (
            "2019-01-07T10:12:31.123Z ERROR coredns-5c98db65d4-abcde OOMKilled",
            ["coredns", "OOMKilled"],
        ),
        (
            "E0611 09:14:02.123456 1234 status_manager.go:513] pod builder-6f4b9d-zk2lp failed",
            ["pod", "builder", "failed"],
        ),
        ("volume pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789 stuck", ["volume", "pvc", "stuck"]),
        (
            "image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 quokka",
            ["image", "quokka"],
        ),
        (
            "Warning FailedScheduling 3m12s default-scheduler quokka",
            ["FailedScheduling", "default-scheduler", "quokka"],
        ),
        ('Post "https://10.0.0.1:443/mutate?timeout=10s": quokka', ["Post", "quokka"]),
        ("open /var/lib/etcd/member/snap/db: quokka", ["open", "quokka"]),
        ("level=error msg=quokka", ["msg", "quokka"]),
    ],
)
def test_log_noise_is_removed(raw: str, expected: list[str]) -> None:
    assert words(raw) == expected


def test_normalising_is_reported() -> None:
    assert parse_query("dial udp 10.3.0.10:53: i/o timeout").normalised
    assert not parse_query("dns timeouts").normalised


def test_plain_words_phrases_and_ndots_are_kept() -> None:
    assert words('"ndots:5" quokka') == ["ndots:5", "quokka"]
    assert words("5s quokka")[0] == "5s"
    assert "5 seconds" in parse_query("5s").groups[0].alternatives


def test_a_multi_line_paste_is_read_whole() -> None:
    paste = "first line quokka\nsecond line wombat\n" * 3
    parsed = parse_query(paste)
    assert "quokka" in parsed.terms and "wombat" in parsed.terms
    assert "\n" in parsed.text


def test_a_long_paste_is_cut_at_a_word_boundary_and_says_so() -> None:
    parsed = parse_query("quokka " * 400)
    assert parsed.truncated
    assert len(parsed.text) <= MAX_QUERY_LENGTH
    assert parsed.text.endswith("quokka")
