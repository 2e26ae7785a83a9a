"""The ranges file: its checks, the shipped file, and import/export round trips."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.affected.models import VersionRange
from apps.affected.rangefile import RANGES_FILE, parse_ranges, ranges_to_text, read_ranges
from apps.catalog.importing import ImportRefused, catalogue_import
from tests.conftest import REPO_FIXTURES

ISSUE = "https://github.com/coredns/coredns/issues/1"
RANGES = f"""issues:
  - url: {ISSUE}
    ranges:
      - product: coredns
        events:
          - introduced: "1.6.0"
          - fixed: "1.6.3"
        evidence: https://github.com/coredns/coredns/pull/2
      - product: coredns
        events:
          - introduced: "1.7.0"
          - last_affected: "1.7.1"
        evidence: https://github.com/coredns/coredns/pull/3
        note: Backport line.
"""


def problems(data: object) -> list[str]:
    return [f"{p.field}: {p.message}" for p in parse_ranges(data, where="ranges.yaml").problems]


def one_range(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "product": "etcd",
        "events": [{"introduced": "3.5.0"}, {"fixed": "3.5.3"}],
        "evidence": "https://github.com/etcd-io/etcd/pull/13914",
    }
    item.update(changes)
    return {"issues": [{"url": "https://github.com/etcd-io/etcd/issues/13766", "ranges": [item]}]}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"product": "etcdd"}, "issues[0].ranges[0].product: 'etcdd' is not one of"),
        ({"evidence": None}, "issues[0].ranges[0].evidence: every range needs the address"),
        (
            {"events": [{"fixed": "3.5.3"}]},
            "issues[0].ranges[0].events: expected a list of `introduced`",
        ),
        (
            {"events": [{"introduced": "3.5.0"}, {"fixed": "3.5.3"}, {"fixed": "3.5.4"}]},
            "expected a list",
        ),
        (
            {"events": [{"introduced": "3.5.0"}, {"fixed": 3.6}]},
            'fixed: write the version in quotes, e.g. "3.6"',
        ),
        ({"events": [{"introduced": "latest"}]}, "introduced: 'latest' is not a etcd version"),
        (
            {"events": [{"introduced": "3.5.3"}, {"fixed": "3.5.3"}]},
            "introduced 3.5.3 is not before 3.5.3",
        ),
        ({"events": [{"introduced": "3.5.0-eks"}]}, "write the upstream version without a suffix"),
        ({"severity": "high"}, "issues[0].ranges[0]: unknown key(s): severity"),
    ],
)
def test_each_problem_is_named(changes: dict[str, object], expected: str) -> None:
    found = problems(one_range(**changes))
    assert any(expected in p for p in found), found


def test_issue_level_problems() -> None:
    assert problems({"stories": []}) == [
        "file: expected a mapping with one key, `issues`, holding a list"
    ]
    assert problems({"issues": [{"url": "https://example.org/x", "ranges": []}]})[0].startswith(
        "issues[0].url:"
    )
    twice = one_range()
    twice["issues"] = twice["issues"] * 2  # type: ignore[operator]
    assert any("listed twice" in p for p in problems(twice))
    assert any(
        "leave out an issue whose ranges are unknown" in p
        for p in problems({"issues": [{"url": ISSUE, "ranges": []}]})
    )


def test_last_affected_may_equal_introduced() -> None:
    assert problems(one_range(events=[{"introduced": "3.5.0"}, {"last_affected": "3.5.0"}])) == []


def test_the_shipped_file_is_valid_canonical_and_names_real_stories_only(settings) -> None:  # type: ignore[no-untyped-def]
    settings.STORIES_FIXTURES_DIR = REPO_FIXTURES
    path = REPO_FIXTURES / RANGES_FILE
    parsed = read_ranges(path)
    assert parsed.problems == []
    assert path.read_text(encoding="utf-8") == ranges_to_text(parsed.issues)
    call_command("validate_ranges", verbosity=0)  # also: every issue is linked from a story


@pytest.mark.django_db
def test_import_then_export_reproduces_the_file_byte_for_byte(fixture_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fixture_tree.story()
    canonical = ranges_to_text(parse_ranges_text(RANGES))
    (fixture_tree.root / "upstream").mkdir()
    (fixture_tree.root / RANGES_FILE).write_text(canonical, encoding="utf-8")
    report = catalogue_import(catalogue=fixture_tree.load())
    assert report.counts["issues with version ranges"]["created"] == 1
    assert VersionRange.objects.count() == 2
    out = tmp_path / "ranges.yaml"
    call_command("export_ranges", out=out, verbosity=0)
    assert out.read_bytes() == canonical.encode()
    # A second import changes nothing.
    again = catalogue_import(catalogue=fixture_tree.load())
    assert again.counts["issues with version ranges"]["unchanged"] == 1


def parse_ranges_text(text: str):  # type: ignore[no-untyped-def]
    import yaml

    parsed = parse_ranges(yaml.safe_load(text), where="test")
    assert parsed.problems == []
    return parsed.issues


@pytest.mark.django_db
def test_a_changed_file_replaces_the_ranges_and_an_emptied_one_removes_them(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    fixture_tree.story()
    (fixture_tree.root / "upstream").mkdir()
    path = fixture_tree.root / RANGES_FILE
    path.write_text(RANGES, encoding="utf-8")
    catalogue_import(catalogue=fixture_tree.load())
    path.write_text(RANGES.replace('"1.6.3"', '"1.6.4"'), encoding="utf-8")
    catalogue_import(catalogue=fixture_tree.load())
    assert set(VersionRange.objects.values_list("fixed", flat=True)) == {"1.6.4", ""}
    path.write_text("issues: []\n", encoding="utf-8")
    catalogue_import(catalogue=fixture_tree.load())
    assert not VersionRange.objects.exists()


@pytest.mark.django_db
def test_a_bad_file_or_an_unlinked_issue_refuses_the_whole_import(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    from apps.catalog.models import Story

    fixture_tree.story()
    (fixture_tree.root / "upstream").mkdir()
    path = fixture_tree.root / RANGES_FILE
    path.write_text(
        RANGES.replace("coredns/coredns/issues/1", "coredns/coredns/issues/99"), encoding="utf-8"
    )
    with pytest.raises(ImportRefused) as refused:
        catalogue_import(catalogue=fixture_tree.load())
    assert "issues/99 is not linked from any story" in str(refused.value.problems[0])
    assert not Story.objects.exists()
    path.write_text("issues: [", encoding="utf-8")
    with pytest.raises(ImportRefused):
        catalogue_import(catalogue=fixture_tree.load())


def test_validate_ranges_names_problems(fixture_tree) -> None:  # type: ignore[no-untyped-def]
    fixture_tree.story()
    (fixture_tree.root / "upstream").mkdir()
    (fixture_tree.root / RANGES_FILE).write_text(
        RANGES.replace('"1.6.0"', '"one"'), encoding="utf-8"
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("validate_ranges", verbosity=0)
    (fixture_tree.root / RANGES_FILE).write_text(RANGES, encoding="utf-8")
    with pytest.raises(CommandError, match="1 problem"):  # not canonical: no header comment
        call_command("validate_ranges", verbosity=0)
