"""The `symptoms` list in story files: its rules, and its byte-stable round trip."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.catalog.models import Story
from apps.catalog.storyfiles.parsing import story_from_file
from apps.catalog.storyfiles.serialization import story_to_text
from tests.conftest import FixtureTree

SYMPTOMS = """symptoms:
  - OOMKilled
  - 'dial udp 10.3.0.10:53: i/o timeout'
  - "etcdserver: mvcc: database space exceeded"
  - '503'
"""


def with_symptoms(tree: FixtureTree, block: str) -> Path:
    return tree.story(**{"platforms: [aws]\n": block + "platforms: [aws]\n"})


def problems_of(tree: FixtureTree) -> list[str]:
    return [str(problem) for problem in tree.load().problems]


def test_symptoms_are_read_verbatim_in_order(make_tree) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree("fixtures")
    with_symptoms(tree, SYMPTOMS)
    catalogue = tree.load()
    assert catalogue.problems == []
    (story,) = catalogue.stories
    assert story.symptoms == (
        "OOMKilled",
        "dial udp 10.3.0.10:53: i/o timeout",
        "etcdserver: mvcc: database space exceeded",
        "503",
    )


def test_a_story_without_symptoms_is_valid(make_tree) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree("fixtures")
    tree.story()
    (story,) = tree.load().stories
    assert story.symptoms == ()
    assert "symptoms" not in story_to_text(story)


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        ("symptoms: OOMKilled\n", "symptoms", "expected a list of text"),
        ("symptoms:\n  - ''\n", "symptoms[0]", "is empty"),
        ("symptoms:\n  - '   '\n", "symptoms[0]", "is empty"),
        ("symptoms:\n  - 503\n", "symptoms[0]", "expected text (put numbers"),
        ("symptoms:\n  - {a: b}\n", "symptoms[0]", "expected text"),
        ("symptoms:\n  - OOMKilled\n  - OOMKilled\n", "symptoms[1]", "is listed twice"),
        ("symptoms:\n  - 'x" + "y" * 300 + "'\n", "symptoms[0]", "longer than 300"),
        ('symptoms:\n  - "two\\nlines"\n', "symptoms[0]", "must be one line"),
        ('symptoms:\n  - "a\\tb"\n', "symptoms[0]", "must be one line"),
        ('symptoms:\n  - "bell\\x07"\n', "symptoms[0]", "control characters are not allowed"),
        ('symptoms:\n  - "nul\\0"\n', "symptoms[0]", "NUL characters are not allowed"),
        (
            "symptoms:\n" + "".join(f"  - s{n}\n" for n in range(21)),
            "symptoms",
            "at most 20 entries",
        ),
    ],
)
def test_bad_symptoms_name_the_file_and_field(
    make_tree,  # type: ignore[no-untyped-def]
    block: str,
    field: str,
    message: str,
) -> None:
    tree = make_tree("fixtures")
    with_symptoms(tree, block)
    found = problems_of(tree)
    expected = f"stories/2019-example-corp-coredns-oom.md:{field}: "
    assert any(p.startswith(expected) and message in p for p in found), found
    # One problem per bad entry: the front-matter check and the symptom check do not repeat.
    assert len([p for p in found if p.startswith(expected)]) == 1, found


def test_file_text_round_trips_byte_for_byte(make_tree) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree("fixtures")
    path = with_symptoms(tree, SYMPTOMS)
    (story,) = tree.load().stories
    text = story_to_text(story)
    assert "symptoms:\n  - OOMKilled\n  - 'dial udp 10.3.0.10:53: i/o timeout'\n" in text
    path.write_text(text, encoding="utf-8")
    again, problems = story_from_file(
        path, taxonomy=tree.load().taxonomy, mitigation_slugs={"test-mitigation"}
    )
    assert problems == [] and again is not None
    assert again.symptoms == story.symptoms
    assert story_to_text(again) == text


@pytest.mark.django_db
def test_import_then_export_keeps_symptoms_byte_stable(
    fixture_tree: FixtureTree, tmp_path: Path
) -> None:
    path = with_symptoms(fixture_tree, SYMPTOMS)
    call_command("format_stories", stdout=StringIO())
    call_command("import_stories", stdout=StringIO())
    story = Story.objects.get()
    assert story.symptoms[:2] == ["OOMKilled", "dial udp 10.3.0.10:53: i/o timeout"]
    out = tmp_path / "exported"
    call_command("export_stories", "--out", str(out), stdout=StringIO())
    assert (out / path.name).read_bytes() == path.read_bytes()
    # Dropping the list in the file clears it in the database on the next import.
    fixture_tree.story()
    output = StringIO()
    call_command("import_stories", stdout=output)
    assert "1 updated" in output.getvalue()
    assert Story.objects.get().symptoms == []
