"""story_report: the pull-request check of changed story and mitigation files."""

import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.rendering import render_markdown
from apps.catalog.storyfiles.review import Finding, changed_files, field_line
from tests.conftest import STORY_TEMPLATE, FixtureTree

NEW = "2019-other-corp-dns-cache-lost.md"


@pytest.fixture
def tree(fixture_tree: FixtureTree, monkeypatch: pytest.MonkeyPatch) -> FixtureTree:
    # Annotations name files relative to the working directory, as in a checkout.
    monkeypatch.chdir(fixture_tree.root.parent)
    fixture_tree.story()
    return fixture_tree


def report(*args: str) -> tuple[str, str | None]:
    out = StringIO()
    try:
        call_command("story_report", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def other_story(tree: FixtureTree, name: str = NEW, **replace: str) -> Path:
    changes = {
        "title: CoreDNS OOM-killed by a burst of DNS queries": "title: Node cache lost every reply",
        "organization: Example Corp": "organization: Other Corp",
        "https://example.org/postmortem": "https://example.org/other",
        **replace,
    }
    return tree.story(name, **changes)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
    }  # fmt: skip
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def test_changed_files_are_those_added_or_edited_since_the_merge_base(tree: FixtureTree) -> None:
    repo = tree.root.parent
    old = other_story(tree, "2019-other-corp-old-story.md")
    doomed = other_story(
        tree,
        "2019-gone-corp-removed.md",
        **{"https://example.org/other": "https://example.org/gone", "Other Corp": "Gone Corp"},
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    committed = other_story(tree, **{"https://example.org/other": "https://example.org/new"})
    doomed.unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    edited = tree.mitigation("test-mitigation", "---\ntitle: Edited\ncomponents: [dns]\n---\nX.\n")
    untracked = other_story(
        tree, "2020-new-corp-untracked.md", **{"https://example.org/other": "https://e.org/u"}
    )
    (tree.root / "taxonomy" / "note.md").write_text("outside the folders asked for\n")

    found = changed_files(repo, "main", [tree.root / "stories", tree.root / "mitigations"])

    assert found == sorted(p.resolve() for p in (committed, edited, untracked))
    assert old.resolve() not in found


def test_changed_files_names_a_bad_revision(tree: FixtureTree) -> None:
    git(tree.root.parent, "init", "-q")
    with pytest.raises(Exception, match="no-such-ref"):
        changed_files(tree.root.parent, "no-such-ref", [tree.root / "stories"])


def test_problems_are_annotations_at_file_and_line(tree: FixtureTree) -> None:
    path = other_story(
        tree,
        **{
            "date: 2019-01-15": "date: 2019-13",
            "  - url: https://example.org/other\n    kind: postmortem\n": (
                "  - url: https://example.org/other\n    kind: postmortem\n"
                "  - url: https://example.org/second\n    kind: podcast\n"
            ),
        },
    )
    out, error = report(str(path), "--github")
    name = f"fixtures/stories/{NEW}"
    assert error is not None and "2 problem(s)" in error
    assert f"::error file={name},line=4,title=date::'2019-13' is not a real date" in out
    assert f"::error file={name},line=9,title=sources[1].kind::'podcast' is not one of: " in out, (
        out
    )
    plain, _ = report(str(path))
    assert f"{name}:4: date: '2019-13' is not a real date" in plain


def test_annotation_escapes_what_the_workflow_command_syntax_reserves() -> None:
    finding = Finding("a,b:c.md", 3, "sources[0].url", "50% done\nnext line")
    assert finding.annotation() == (
        "::error file=a%2Cb%3Ac.md,line=3,title=sources[0].url::50%25 done%0Anext line"
    )


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("title", 2),
        ("sources", 5),
        ("sources[0].url", 6),
        ("sources[0].kind", 7),
        ("upstream[0].note", 13),
        ("mitigations[0]", 14),
        ("summary", 17),
        ("line 9", 9),
        ("file name", 1),
        ("sources[7].url", 5),
    ],
)
def test_field_line(field: str, line: int) -> None:
    assert field_line(STORY_TEMPLATE, field) == line


def test_a_source_of_another_story_is_an_error_on_the_changed_file_only(
    tree: FixtureTree,
) -> None:
    # The new file sorts before the existing one, which a file-order check would blame.
    earlier = tree.story(
        "2019-aaa-corp-same-postmortem.md",
        **{
            "title: CoreDNS OOM-killed by a burst of DNS queries": "title: Something else",
            "Example Corp": "Aaa Corp",
        },
    )
    out, error = report(str(earlier), "--github")
    assert error is not None
    assert (
        "::error file=fixtures/stories/2019-aaa-corp-same-postmortem.md,line=6,"
        "title=sources[0].url::https://example.org/postmortem is already a source of "
        "fixtures/stories/2019-example-corp-coredns-oom.md"
    ) in out
    assert "2019-example-corp-coredns-oom.md,line" not in out
    assert out.count("::error") == 1, out


def test_a_title_already_used_is_an_error_and_a_similar_one_a_warning(tree: FixtureTree) -> None:
    same = other_story(
        tree,
        **{
            "title: Node cache lost every reply": (
                "title: CoreDNS OOM killed by a burst of DNS queries!"
            )
        },
    )
    out, error = report(str(same), "--github")
    assert error is not None
    assert (
        "title=title::fixtures/stories/2019-example-corp-coredns-oom.md has the same title" in out
    )

    same.write_text(
        same.read_text().replace(
            "CoreDNS OOM killed by a burst of DNS queries!",
            "CoreDNS OOM-killed by a burst of DNS queriez",
        )
    )
    out, error = report(str(same), "--github")
    assert error is None, out
    assert (
        "::warning file=fixtures/stories/2019-other-corp-dns-cache-lost.md,line=2,title=title::"
        in out
    )

    other_story(
        tree, "2019-other-corp-unrelated.md", **{"https://example.org/other": "https://e.org/x"}
    )
    out, error = report(str(tree.root / "stories" / "2019-other-corp-unrelated.md"))
    assert error is None and "0 problem(s)" in out


def test_a_changed_mitigation_is_checked_and_others_are_not(tree: FixtureTree) -> None:
    tree.mitigation("broken-other", "---\ntitle: Broken\ncomponents: [nope]\n---\nX.\n")
    edited = tree.mitigation(
        "test-mitigation",
        "---\ntitle: Test\ncomponents: [dns]\nlinks:\n  - url: ftp://x.org\n---\nX.\n",
    )
    out, error = report(str(edited))
    assert error is not None and "1 problem(s)" in error
    assert "fixtures/mitigations/test-mitigation.md:5: links[0].url:" in out
    assert "broken-other" not in out


def test_the_summary_previews_each_story_through_the_site_renderer(
    tree: FixtureTree, tmp_path: Path
) -> None:
    body = "The **cache** <script>alert(1)</script> [failed](javascript:alert(1)).\n"
    path = other_story(tree, **{"What happened, in our own words.\n": body})
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out, error = report(str(path), "--summary", str(summary))
    assert error is None, out
    text = summary.read_text()
    assert text.startswith("earlier step\n### Story files\n")
    assert str(render_markdown(body.strip())) in text
    assert "<strong>cache</strong>" in text and "<script>" not in text
    assert "<h2>Node cache lost every reply</h2>" in text
    assert "<strong>Other Corp</strong> · 15 January 2019" in text
    assert "Cluster DNS, CoreDNS" in text
    assert '<a href="https://example.org/other">' in text


def test_the_summary_lists_problems(tree: FixtureTree, tmp_path: Path) -> None:
    path = other_story(tree, **{"date: 2019-01-15": "date: 2019-13"})
    summary = tmp_path / "summary.md"
    report(str(path), "--summary", str(summary))
    assert f"| `fixtures/stories/{NEW}` | 4 | date | '2019-13' is not a real date" in (
        summary.read_text()
    )


def test_changed_since_in_a_repository(tree: FixtureTree) -> None:
    repo = tree.root.parent
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    out, error = report("--changed-since", "main")
    assert error is None and "No story or mitigation file changed." in out
    other_story(tree, **{"date: 2019-01-15": "date: 2019-13"})
    out, error = report("--changed-since", "main")
    assert error is not None and "1 file(s) checked: 1 problem(s)" in error
    assert f"fixtures/stories/{NEW}:4: date:" in out
    _, error = report("--changed-since", "no-such-ref")
    assert error is not None and "cannot list the changed files" in error


def test_inside_github_actions_it_annotates_and_writes_the_job_summary(
    tree: FixtureTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    path = other_story(tree, **{"date: 2019-01-15": "date: 2019-13"})
    out, error = report(str(path))
    assert error is not None
    assert out.startswith(f"::error file=fixtures/stories/{NEW},line=4,title=date::")
    assert "| 4 | date |" in summary.read_text()
