"""The submissions' fixtures, for catalogue tests that publish through the workflow."""

from tests.submissions.conftest import moderator, taxonomy  # noqa: F401
