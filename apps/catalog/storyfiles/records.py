"""Plain records of catalogue content, independent of where they came from."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file, printed as `file:field: problem`."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.field}: {self.message}"


@dataclass(frozen=True)
class SourceRecord:
    url: str
    kind: str
    title: str = ""


@dataclass(frozen=True)
class UpstreamRecord:
    url: str
    note: str = ""


@dataclass(frozen=True)
class MitigationLinkRecord:
    slug: str
    note: str = ""


@dataclass(frozen=True)
class StoryRecord:
    slug: str
    title: str
    organization: str
    date: datetime.date
    date_precision: str  # year | month | day
    sources: tuple[SourceRecord, ...]
    components: tuple[str, ...]
    platforms: tuple[str, ...]
    impacts: tuple[str, ...]
    upstream: tuple[UpstreamRecord, ...]
    mitigations: tuple[MitigationLinkRecord, ...]
    verified: str
    summary: str
    # Verbatim from the source: error messages, log lines, statuses, events, metric names.
    symptoms: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)
    # The summary's HTML and excerpt (rendering.rendered_fields), when rendered in advance.
    rendered: tuple[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ReferenceLink:
    url: str
    title: str = ""


@dataclass(frozen=True)
class MitigationRecord:
    slug: str
    title: str
    components: tuple[str, ...]
    links: tuple[ReferenceLink, ...]
    body: str
    path: Path | None = field(default=None, compare=False)
