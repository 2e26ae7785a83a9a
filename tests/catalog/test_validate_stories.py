"""Each class of story-file problem, on its own fixture tree."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.conftest import STORY_TEMPLATE, FixtureTree


def problems(tree: FixtureTree) -> list[str]:
    return [str(p) for p in tree.load().problems]


def only_problem(tree: FixtureTree) -> str:
    found = problems(tree)
    assert len(found) == 1, found
    return found[0]


def test_the_template_story_is_valid(fixture_tree: FixtureTree) -> None:
    fixture_tree.story()
    catalogue = fixture_tree.load()
    assert catalogue.problems == []
    assert [s.slug for s in catalogue.stories] == ["2019-example-corp-coredns-oom"]


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("title", "title: CoreDNS OOM-killed by a burst of DNS queries\n"),
        ("date", "date: 2019-01-15\n"),
        ("verified", "verified: source\n"),
    ],
)
def test_missing_required_field(fixture_tree: FixtureTree, field: str, line: str) -> None:
    fixture_tree.story(**{line: ""})
    assert only_problem(fixture_tree).startswith(
        f"stories/2019-example-corp-coredns-oom.md:{field}: "
    )


def test_organization_is_optional(fixture_tree: FixtureTree) -> None:
    """A story told by a person on a public tracker names no organization (issue 12)."""
    fixture_tree.story(**{"organization: Example Corp\n": ""})
    assert problems(fixture_tree) == []


def test_missing_sources_and_components(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(
        **{
            "sources:\n  - url: https://example.org/postmortem\n    kind: postmortem\n": "",
            "components: [dns, coredns]\n": "",
        }
    )
    found = problems(fixture_tree)
    assert any(":sources: at least one source is required" in p for p in found)
    assert any(":components: at least one component is required" in p for p in found)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "components: [dns, coredns]",
            "components: [dns, kube-dnz]",
            "components: unknown component 'kube-dnz'",
        ),
        ("platforms: [aws]", "platforms: [amazon]", "platforms: unknown platform 'amazon'"),
        ("impact: [outage]", "impact: [meltdown]", "impact: unknown impact 'meltdown'"),
        (
            "mitigations: [test-mitigation]",
            "mitigations: [pray]",
            "mitigations[0]: unknown mitigation 'pray'",
        ),
    ],
)
def test_unknown_slugs(fixture_tree: FixtureTree, old: str, new: str, expected: str) -> None:
    fixture_tree.story(**{old: new})
    assert only_problem(fixture_tree).endswith(expected) or expected in only_problem(fixture_tree)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("ftp://example.org/x", "must start with http:// or https://"),
        ("https://", "has no host name"),
        ("not a url", "white space"),
    ],
)
def test_bad_source_urls(fixture_tree: FixtureTree, url: str, expected: str) -> None:
    fixture_tree.story(**{"https://example.org/postmortem": url})
    problem = only_problem(fixture_tree)
    assert ":sources[0].url: " in problem
    assert expected in problem


def test_bad_upstream_url(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(
        **{"https://github.com/coredns/coredns/issues/1": "https://github.com/coredns/coredns"}
    )
    assert "upstream[0]: " in only_problem(fixture_tree)
    assert "is not a GitHub issue or pull request URL" in only_problem(fixture_tree)


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://EXAMPLE.org/postmortem",
        "https://example.org:443/postmortem/",
        "https://example.org/postmortem?utm_source=twitter&utm_campaign=x",
        "https://example.org/postmortem#timeline",
        "http://www.example.org/postmortem",
    ],
)
def test_duplicate_source_urls_across_files(fixture_tree: FixtureTree, variant: str) -> None:
    fixture_tree.story()
    fixture_tree.story(
        "2020-other-corp-same-story.md",
        **{"https://example.org/postmortem": variant, "date: 2019-01-15": "date: 2020"},
    )
    problem = only_problem(fixture_tree)
    assert problem.startswith("stories/2020-other-corp-same-story.md:sources[0].url: ")
    assert "already a source of stories/2019-example-corp-coredns-oom.md" in problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-13", "is not a real date"),
        ("2019-02-30", "is not a real date"),
        ("January 2019", "is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("19-01-01", "is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2019-01-15 10:00:00", "is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2099-01-01", "is in the future"),
        ("2009", "before Kubernetes existed"),
    ],
)
def test_unparseable_dates(fixture_tree: FixtureTree, value: str, expected: str) -> None:
    year = value[:4] if value[:4].isdigit() else "2019"
    fixture_tree.story(
        f"{year}-example-corp-coredns-oom.md", **{"date: 2019-01-15": f"date: {value}"}
    )
    problem = only_problem(fixture_tree)
    assert ":date: " in problem
    assert expected in problem


@pytest.mark.parametrize(
    ("value", "precision"), [("2019", "year"), ("2019-03", "month"), ("2019-03-05", "day")]
)
def test_date_precisions(fixture_tree: FixtureTree, value: str, precision: str) -> None:
    fixture_tree.story(**{"date: 2019-01-15": f"date: {value}"})
    (story,) = fixture_tree.load().stories
    assert story.date_precision == precision


def test_non_utf8_file(fixture_tree: FixtureTree) -> None:
    path = fixture_tree.story()
    path.write_bytes(STORY_TEMPLATE.replace("Example Corp", "Caf\xe9").encode("latin-1"))
    problem = only_problem(fixture_tree)
    assert ":encoding: not valid UTF-8 (byte 0xe9" in problem


def test_file_name_must_match_the_year(fixture_tree: FixtureTree) -> None:
    fixture_tree.story("2021-example-corp-coredns-oom.md")
    assert only_problem(fixture_tree).endswith(
        ":file name: starts with 2021 but the date is in 2019"
    )


def test_file_name_must_be_a_slug(fixture_tree: FixtureTree) -> None:
    fixture_tree.story("CoreDNS OOM.md")
    assert ":file name: must be <year>-<organization>-<title>.md" in only_problem(fixture_tree)


def test_yaml_errors_give_their_line(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"organization: Example Corp": "organization: [unclosed"})
    problem = only_problem(fixture_tree)
    assert problem.startswith("stories/2019-example-corp-coredns-oom.md:line ")
    assert "YAML error" in problem


def test_missing_front_matter(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(text="Just a body.\n")
    assert ":front matter: the file must start with a line '---'" in only_problem(fixture_tree)


def test_unknown_fields_are_reported(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"verified: source": "verified: source\ncomponets: [dns]"})
    assert ":componets: unknown field" in only_problem(fixture_tree)


def test_empty_summary(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"What happened, in our own words.\n": ""})
    assert only_problem(fixture_tree).endswith(
        ":summary: the Markdown body after the front matter is empty"
    )


def test_every_problem_is_reported_at_once(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(
        **{
            "title: CoreDNS OOM-killed by a burst of DNS queries\n": "",
            "platforms: [aws]": "platforms: [mars]",
            "impact: [outage]": "impact: [boom]",
        }
    )
    fixture_tree.story("2019-broken.md", text="---\nnot: [valid\n---\nx\n")
    assert len(problems(fixture_tree)) == 4


def test_command_lists_problems_and_fails(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"components: [dns, coredns]": "components: [nope]"})
    stderr = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("validate_stories", stderr=stderr)
    assert (
        "2019-example-corp-coredns-oom.md:components: unknown component 'nope'" in stderr.getvalue()
    )


def test_command_checks_only_the_given_paths(fixture_tree: FixtureTree, tmp_path: Path) -> None:
    fixture_tree.story(**{"components: [dns, coredns]": "components: [nope]"})
    good = fixture_tree.story(
        "2019-example-corp-another.md",
        **{"https://example.org/postmortem": "https://example.org/other"},
    )
    stdout = StringIO()
    call_command("validate_stories", str(good), stdout=stdout)
    assert "1 story file(s)" in stdout.getvalue()


def test_command_exit_code_is_non_zero(fixture_tree: FixtureTree) -> None:
    fixture_tree.story(**{"impact: [outage]": "impact: [boom]"})
    env = {**os.environ, "STORIES_FIXTURES_DIR": str(fixture_tree.root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "validate_stories"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "2019-example-corp-coredns-oom.md:impact: unknown impact 'boom'" in result.stderr


def test_alias_collisions_in_the_taxonomy_are_reported(fixture_tree: FixtureTree) -> None:
    path = fixture_tree.root / "taxonomy" / "platforms.yaml"
    path.write_text(path.read_text() + "  - slug: aws2\n    name: AWS again\n    aliases: [EKS]\n")
    assert any("alias 'eks' also belongs to 'eks'" in p for p in problems(fixture_tree))


def test_a_platform_without_a_known_kind_is_reported(fixture_tree: FixtureTree) -> None:
    path = fixture_tree.root / "taxonomy" / "platforms.yaml"
    path.write_text(path.read_text() + "  - slug: mars\n    name: Mars\n    kind: hosted\n")
    assert any(
        "platforms[13].kind: 'hosted' is not one of managed, self-managed, infrastructure" in p
        for p in problems(fixture_tree)
    )
