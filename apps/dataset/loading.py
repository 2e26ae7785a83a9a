"""Reading a dataset back into a database: `manage.py import_dataset catalogue.json`.

The document is turned into the same records the story files give, checked by the same
rules, and written by the one catalogue import, so a mirror built from a snapshot holds
the public catalogue the snapshot was taken from.
"""

from typing import Any

from django.db import transaction

from apps.catalog.importing import ImportReport, catalogue_import
from apps.catalog.models import UpstreamIssue
from apps.catalog.storyfiles.parsing import Catalogue
from apps.catalog.storyfiles.payload import PAYLOAD_FIELDS, record_from_payload
from apps.catalog.storyfiles.records import (
    MitigationRecord,
    Problem,
    ReferenceLink,
    StoryRecord,
)
from apps.catalog.storyfiles.taxonomy import AreaRecord, Taxonomy, TermRecord
from apps.dataset.content import FORMAT_VERSION


class DatasetInvalid(ValueError):
    """The document is not a dataset this version reads; `problems` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the dataset")
        self.problems = problems


def _term(item: dict[str, Any], area: str = "") -> TermRecord:
    return TermRecord(
        slug=item["slug"],
        name=item["name"],
        description=item.get("description", ""),
        aliases=tuple(item.get("aliases", ())),
        area=area,
    )


def catalogue_from_document(data: Any) -> tuple[Catalogue, list[StoryRecord]]:
    """The taxonomy, mitigations and story records of a `catalogue.json` document."""
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else type(data).__name__
        raise DatasetInvalid(
            [
                Problem(
                    "catalogue.json", "format_version", f"expected {FORMAT_VERSION}, not {found!r}"
                )
            ]
        )
    try:
        taxonomy = Taxonomy(
            areas=[
                AreaRecord(
                    slug=area["slug"],
                    name=area["name"],
                    description=area.get("description", ""),
                    components=tuple(_term(c, area["slug"]) for c in area["components"]),
                )
                for area in data["areas"]
            ],
            platforms=[_term(item) for item in data["platforms"]],
            impacts=[_term(item) for item in data["impacts"]],
        )
        mitigations = [
            MitigationRecord(
                slug=item["slug"],
                title=item["title"],
                components=tuple(item["components"]),
                links=tuple(
                    ReferenceLink(link["url"], link.get("title", "")) for link in item["links"]
                ),
                body=item["body"],
            )
            for item in data["mitigations"]
        ]
        stories_data = list(data["stories"])
    except (KeyError, TypeError) as exc:
        raise DatasetInvalid(
            [Problem("catalogue.json", "document", f"missing or malformed: {exc}")]
        ) from None
    problems: list[Problem] = []
    records: list[StoryRecord] = []
    mitigation_slugs = {m.slug for m in mitigations}
    for index, story in enumerate(stories_data):
        where = f"stories[{index}]"
        if not isinstance(story, dict) or not isinstance(story.get("slug"), str):
            problems.append(Problem("catalogue.json", where, "expected a story with a slug"))
            continue
        record, found = record_from_payload(
            {key: value for key, value in story.items() if key in PAYLOAD_FIELDS},
            slug=story["slug"],
            verified=str(story.get("verified")),
            taxonomy=taxonomy,
            mitigation_slugs=mitigation_slugs,
        )
        problems += [Problem("catalogue.json", f"{where}.{p.field}", p.message) for p in found]
        if record is not None:
            records.append(record)
    if problems:
        raise DatasetInvalid(problems)
    return Catalogue(taxonomy=taxonomy, mitigations=mitigations), records


@transaction.atomic
def dataset_import(*, data: Any) -> ImportReport:
    """Load a dataset document: the catalogue import, then the upstream issues' last known
    state and title, which the import cannot know from their URLs."""
    catalogue, stories = catalogue_from_document(data)
    report = catalogue_import(catalogue=catalogue, stories=stories)  # bans the shared cache
    for issue in data.get("upstream_issues", []):
        UpstreamIssue.objects.filter(url=issue["url"]).update(
            state=issue["state"], title=issue["title"]
        )
    return report
