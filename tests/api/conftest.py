"""The submissions' fixtures, shared with the API tests of submissions and moderation."""

from tests.submissions.conftest import published_story, taxonomy  # noqa: F401
