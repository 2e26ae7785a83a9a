"""Writing records as files. The output is byte-stable: the same record, the same bytes."""

from collections.abc import Sequence
from pathlib import Path

import yaml

from apps.catalog.storyfiles.payload import date_text
from apps.catalog.storyfiles.records import MitigationRecord, StoryRecord


def _scalar(value: str) -> str:
    """A YAML scalar on one line, quoted only when YAML needs it."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_style=None)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _flow_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def story_to_text(record: StoryRecord) -> str:
    lines = [
        "---",
        f"title: {_scalar(record.title)}",
        *([f"organization: {_scalar(record.organization)}"] if record.organization else []),
        f"date: {date_text(record)}",
        "sources:",
    ]
    for source in record.sources:
        lines.append(f"  - url: {_scalar(source.url)}")
        lines.append(f"    kind: {source.kind}")
        if source.title:
            lines.append(f"    title: {_scalar(source.title)}")
    lines.append(f"components: {_flow_list(record.components)}")
    if record.symptoms:
        lines.append("symptoms:")
        lines.extend(f"  - {_scalar(symptom)}" for symptom in record.symptoms)
    if record.platforms:
        lines.append(f"platforms: {_flow_list(record.platforms)}")
    if record.impacts:
        lines.append(f"impact: {_flow_list(record.impacts)}")
    if record.upstream:
        lines.append("upstream:")
        for link in record.upstream:
            if link.note:
                lines.append(f"  - url: {_scalar(link.url)}")
                lines.append(f"    note: {_scalar(link.note)}")
            else:
                lines.append(f"  - {_scalar(link.url)}")
    if record.mitigations:
        lines.append("mitigations:")
        for mitigation in record.mitigations:
            if mitigation.note:
                lines.append(f"  - slug: {mitigation.slug}")
                lines.append(f"    note: {_scalar(mitigation.note)}")
            else:
                lines.append(f"  - {mitigation.slug}")
    lines.append(f"verified: {record.verified}")
    lines.append("---")
    return "\n".join(lines) + "\n" + record.summary.strip() + "\n"


def mitigation_to_text(record: MitigationRecord) -> str:
    lines = [
        "---",
        f"title: {_scalar(record.title)}",
        f"components: {_flow_list(record.components)}",
    ]
    if record.links:
        lines.append("links:")
        for link in record.links:
            lines.append(f"  - url: {_scalar(link.url)}")
            if link.title:
                lines.append(f"    title: {_scalar(link.title)}")
    lines.append("---")
    return "\n".join(lines) + "\n" + record.body.strip() + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    """Write UTF-8 text with LF line endings unless the file already holds exactly it."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True
