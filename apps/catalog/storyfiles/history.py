"""When each story file entered the repository, read from git: a new install's "recently
added" then follows the catalogue's history instead of the order of one import."""

import datetime
import logging
import subprocess
from pathlib import Path

logger = logging.getLogger(__name__)


def added_dates(directory: Path) -> dict[str, datetime.datetime]:
    """{slug: time its file was first committed under that name}; empty when git or its
    history is missing (an unpacked archive, a container image), and then the import time
    stands. A renamed file counts from its rename (without --no-renames git would report a
    rename, not an addition, and the story would fall back to the import time)."""
    try:
        result = subprocess.run(  # noqa: S603
            [  # noqa: S607
                "git", "-C", str(directory), "log", "--diff-filter=A", "--no-renames",
                "--format=%x00%aI", "--name-only", "--relative", "--", ".",
            ],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("no git history for %s (%s): stories are dated by this import", directory, exc)
        return {}
    dates: dict[str, datetime.datetime] = {}
    for entry in result.stdout.split("\0")[1:]:  # newest first: the last one seen is the first
        when, *names = entry.strip().splitlines()
        moment = datetime.datetime.fromisoformat(when)
        for name in names:
            path = Path(name.strip())
            if path.suffix == ".md" and path.parent == Path("."):
                dates[path.stem] = moment
    return dates
