"""A catalogue with the real stories, and one draft and one retracted story that must never
leave the database."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from apps.catalog.models import Story, StoryStatus, StoryUpstreamIssue, UpstreamIssue
from tests.conftest import REPO_FIXTURES
from tests.factories import SourceFactory, StoryFactory

SECRET_URL = "https://example.org/unpublished-postmortem"
SECRET_UPSTREAM = "https://github.com/example/secret/issues/4242"


@pytest.fixture
def dataset_dir(tmp_path: Path, settings: Any) -> Path:
    settings.DATASET_DIR = tmp_path / "dataset"
    return settings.DATASET_DIR


@pytest.fixture
def catalogue(db: None, tmp_path: Path, settings: Any) -> dict[str, Story]:
    # The taxonomy, the mitigations and every eighth real story: real content, quickly.
    fixtures = tmp_path / "fixtures"
    for folder in ("taxonomy", "mitigations"):
        shutil.copytree(REPO_FIXTURES / folder, fixtures / folder)
    (fixtures / "stories").mkdir()
    for path in sorted((REPO_FIXTURES / "stories").glob("*.md"))[::8]:
        shutil.copy(path, fixtures / "stories" / path.name)
    settings.STORIES_FIXTURES_DIR = fixtures
    call_command("import_stories", verbosity=0)
    draft = StoryFactory(
        slug="2020-hidden-corp-draft-story",
        title="Unpublished draft about etcd",
        status=StoryStatus.DRAFT,
    )
    SourceFactory(story=draft, url=SECRET_URL, canonical_url=SECRET_URL)
    issue = UpstreamIssue.objects.create(
        url=SECRET_UPSTREAM, tracker="github", owner="example", repo="secret", number=4242,
        kind="issue",
    )  # fmt: skip
    StoryUpstreamIssue.objects.create(story=draft, upstream_issue=issue)
    retracted = Story.objects.public().order_by("slug").first()
    assert retracted is not None
    retracted.retract(expected_version=retracted.version)
    return {"draft": draft, "retracted": retracted}
