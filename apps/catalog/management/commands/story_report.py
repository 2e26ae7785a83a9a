import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.storyfiles.preview import story_preview
from apps.catalog.storyfiles.review import GitError, Report, changed_files, review_files


class Command(BaseCommand):
    help = (
        "Check the story and mitigation files a change adds or edits: every problem at file "
        "and line, source URLs and titles that repeat another story, and a preview of each "
        "story as the site shows it. Exit 1 if any file has a problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="Files to check.")
        parser.add_argument(
            "--changed-since",
            metavar="REF",
            help="Check the files changed since the merge base of REF and HEAD "
            "(committed, staged, unstaged or untracked), e.g. origin/main.",
        )
        parser.add_argument(
            "--github",
            action="store_true",
            default=os.environ.get("GITHUB_ACTIONS") == "true",
            help="Print problems as GitHub Actions annotations (default inside GitHub Actions).",
        )
        parser.add_argument(
            "--summary",
            type=Path,
            default=os.environ.get("GITHUB_STEP_SUMMARY") or None,
            help="Append the report and previews, as Markdown, to this file "
            "(default: $GITHUB_STEP_SUMMARY when set).",
        )

    def handle(
        self,
        *args: Any,
        paths: list[Path],
        changed_since: str | None,
        github: bool,
        summary: Path | None,
        **options: Any,
    ) -> None:
        root: Path = settings.STORIES_FIXTURES_DIR
        files = list(paths)
        if changed_since:
            try:
                files += changed_files(
                    root, changed_since, [root / "stories", root / "mitigations"]
                )
            except GitError as exc:
                raise CommandError(f"cannot list the changed files: {exc}") from None
        if not files:
            self.stdout.write("No story or mitigation file changed.")
            if summary:
                _append(summary, "### Story files\n\nNo story or mitigation file changed.\n")
            return
        missing = [str(path) for path in files if not path.exists()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        report = review_files(root, files, base=Path.cwd())
        for finding in report.findings:
            self.stdout.write(finding.annotation() if github else str(finding))
        if summary:
            _append(summary, summary_markdown(report))
        errors = sum(finding.level == "error" for finding in report.findings)
        warnings = len(report.findings) - errors
        counts = f"{len(report.files)} file(s) checked: {errors} problem(s), {warnings} warning(s)"
        if report.failed:
            raise CommandError(counts + ".")
        self.stdout.write(self.style.SUCCESS(counts + "."))


def summary_markdown(report: Report) -> str:
    """The job summary: what was checked, what is wrong, and each story as it will look."""
    lines = ["### Story files", ""]
    if report.findings:
        lines += ["| file | line | field | problem |", "|---|---|---|---|"]
        lines += [
            f"| `{f.path}` | {f.line} | {f.field} | {'⚠️ ' if f.level == 'warning' else ''}"
            f"{_cell(f.message)} |"
            for f in report.findings
        ]
    else:
        lines.append(f"{len(report.files)} file(s) checked, no problem found.")
    for record in report.stories:
        lines += [
            "",
            "---",
            "",
            story_preview(
                record, taxonomy=report.taxonomy, mitigations=report.mitigation_titles
            ).strip(),
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(text)
