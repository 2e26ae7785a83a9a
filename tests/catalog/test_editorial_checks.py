"""`validate_stories` catches the editorial mistakes found in the catalogue once."""

import contextlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import FixtureTree

SUMMARY = "What happened, in our own words."
SOURCE_SENTENCE = (
    "The CoreDNS pods were limited to one hundred megabytes of memory and were all "
    "killed at once when the queries arrived"
)


def validate(*args: str) -> str:
    err = StringIO()
    with contextlib.suppress(CommandError):
        call_command("validate_stories", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_a_clean_tree_passes(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    assert validate() == ""


def test_one_organization_under_two_spellings(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    fixture_tree.story(
        "2019-example-corp-second.md",
        **{"Example Corp": "EXAMPLE corp", "example.org/postmortem": "example.org/2"},
    )
    fixture_tree.story(
        "2019-example-corp-third.md",
        **{
            "Example Corp": "Example Corp (Platform team)",
            "example.org/postmortem": "example.org/3",
        },
    )
    errors = validate()
    assert "'Example Corp' is the same organization as 'EXAMPLE corp'" in errors
    assert "'Example Corp (Platform team)' is the same organization" in errors


def test_a_reporter_is_not_an_organization(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"Example Corp": "Community report"})
    assert "'Community report' describes a reporter, not an organization" in validate()


def test_no_organization_is_fine(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"organization: Example Corp\n": ""})
    assert validate() == ""


def test_an_issue_in_a_community_tracker_is_not_an_upstream_bug(
    fixture_tree: FixtureTree,
) -> None:
    fixture_tree.story(
        **{"coredns/coredns/issues/1": "kubernetes/community/issues/8209"},
    )
    errors = validate()
    assert "upstream[0]: kubernetes/community issues are a community request tracker" in errors
    # A design document merged as a pull request there may still be cited.
    fixture_tree.story(**{"coredns/coredns/issues/1": "kubernetes/community/pull/1984"})
    assert validate() == ""


def test_a_summary_sentence_copied_from_its_stored_source(
    fixture_tree: FixtureTree, tmp_path: Path
) -> None:
    copies = tmp_path / "copies"
    copies.mkdir()
    (copies / "2019-example-corp-coredns-oom.txt").write_text(
        f"Our incident report. {SOURCE_SENTENCE}, and DNS failed for an hour."
    )
    fixture_tree.story(**{SUMMARY: f"It began slowly. {SOURCE_SENTENCE}."})
    errors = validate("--source-copies", str(copies))
    assert "summary: sentence 2 ('The CoreDNS pods were limited to one hundred" in errors
    assert "sentence 1" not in errors

    # Eleven words in a row are a coincidence, not a copy; and without copies, no check.
    eleven = " ".join(SOURCE_SENTENCE.split()[:11])
    fixture_tree.story(**{SUMMARY: f"It began slowly. {eleven} quickly."})
    assert validate("--source-copies", str(copies)) == ""
    fixture_tree.story(**{SUMMARY: f"It began slowly. {SOURCE_SENTENCE}."})
    assert validate() == ""


def test_source_copies_must_be_a_folder(fixture_tree: FixtureTree, tmp_path: Path) -> None:
    fixture_tree.story()
    with pytest.raises(CommandError, match="is not a folder"):
        call_command(
            "validate_stories",
            "--source-copies",
            str(tmp_path / "missing"),
            stdout=StringIO(),
            stderr=StringIO(),
        )


def test_the_real_catalogue_has_none_of_these_mistakes() -> None:
    assert validate() == ""
