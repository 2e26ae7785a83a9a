"""Read product versions out of what operators paste.

Understood: `kubectl version -o json` (and its plain-text form), `kubectl get nodes`
(with `-o wide`: kernel and container runtime too), `etcd --version` / `etcdctl
version`, `coredns -version` and CoreDNS image references. Several may be pasted one
after another. Every line that none of them explains is reported back by number, so
a partial paste says what was left out.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.affected.versions import is_version

MAX_PASTE_LENGTH = 20_000
_MAX_REPORTED_LINES = 5

_RUNTIMES = {"containerd": "containerd", "docker": "docker", "cri-o": "cri-o"}
_SERVER_RE = re.compile(r'^Server Version:\s*(?:version\.Info\{.*?GitVersion:"([^"]+)".*|(\S+))$')
_CLIENT_RE = re.compile(r"^(?:Client|Kustomize) Version:")
_ETCD_RE = re.compile(r"^etcd(?:ctl)?\s+version:\s*(\S+)$", re.IGNORECASE)
_ETCD_NOISE_RE = re.compile(r"^(?:Git SHA|Go Version|Go OS/Arch|API version):", re.IGNORECASE)
_COREDNS_BINARY_RE = re.compile(r"^CoreDNS-(\S+)$")
_COREDNS_NOISE_RE = re.compile(r"^[a-z0-9]+/[a-z0-9_]+, go\d")
_COREDNS_IMAGE_RE = re.compile(r"(?:^|[\s/\"'=])coredns(?:/coredns)?:([\w][\w.+-]*)", re.IGNORECASE)
_CELL_GAP_RE = re.compile(r"\s{2,}|\t")


@dataclass
class Paste:
    """Versions found, by product, and what was noticed or not understood."""

    versions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, product: str, version: str) -> None:
        found = self.versions.setdefault(product, [])
        if version not in found:
            found.append(version)


def parse_paste(text: str) -> Paste:
    paste = Paste()
    if len(text) > MAX_PASTE_LENGTH:
        paste.problems.append(f"The paste is longer than {MAX_PASTE_LENGTH:,} characters.")
        return paste
    text = text.replace("\r\n", "\n").strip()
    if text.startswith("{"):
        text = _kubectl_json(text, paste)
    lines = text.split("\n")
    unread: list[int] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if line.startswith("NAME ") and {"STATUS", "VERSION"} <= set(line.split()):
            index = _nodes_table(lines, index, paste)
            continue
        if line and not any(reader(line, paste) for reader in _LINE_READERS):
            unread.append(index + 1)
        index += 1
    if unread:
        shown = ", ".join(map(str, unread[:_MAX_REPORTED_LINES]))
        more = (
            f" and {len(unread) - _MAX_REPORTED_LINES} more"
            if len(unread) > _MAX_REPORTED_LINES
            else ""
        )
        paste.problems.append(
            f"Line(s) {shown}{more} of the paste were not understood: expected the output of "
            "kubectl version, kubectl get nodes -o wide, etcd --version or a CoreDNS image."
        )
    return paste


def _kubectl_json(text: str, paste: Paste) -> str:
    """Read a leading `kubectl version -o json` document; return the rest of the text."""
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        paste.problems.append(
            f"The paste starts like JSON but is not valid JSON ({exc.msg}, line {exc.lineno})."
        )
        return ""
    server = data.get("serverVersion") if isinstance(data, dict) else None
    if isinstance(server, dict) and isinstance(server.get("gitVersion"), str):
        paste.add("kubernetes", server["gitVersion"])
    elif isinstance(data, dict) and "clientVersion" in data:
        paste.problems.append(
            "The kubectl version output has no serverVersion (kubectl could not reach the "
            "cluster?): only the cluster's version counts, not kubectl's."
        )
    else:
        paste.problems.append(
            "The JSON is not `kubectl version -o json` output (no serverVersion)."
        )
    return text[end:].strip()


def _nodes_table(lines: list[str], start: int, paste: Paste) -> int:
    """Read `kubectl get nodes [-o wide]` rows. kubectl pads columns with at least three
    spaces while a cell holds at most single spaces (OS-IMAGE: `Ubuntu 22.04.3 LTS`), so
    cells are split on runs of two or more; a line with another number of cells ends
    the table."""
    names = lines[start].split()
    if "KERNEL-VERSION" not in names:
        paste.notes.append(
            "kubectl get nodes without -o wide: add -o wide to check the kernel and "
            "container runtime too."
        )
    index = start + 1
    while index < len(lines):
        cells = _CELL_GAP_RE.split(lines[index].strip())
        if len(cells) != len(names):
            break
        row = dict(zip(names, cells, strict=True))
        paste.add("kubelet", row["VERSION"])
        if "KERNEL-VERSION" in row:
            paste.add("linux-kernel", row["KERNEL-VERSION"])
        if "CONTAINER-RUNTIME" in row:
            runtime, _, version = row["CONTAINER-RUNTIME"].partition("://")
            if runtime in _RUNTIMES and is_version(_RUNTIMES[runtime], version):
                paste.add(_RUNTIMES[runtime], version)
            else:
                paste.problems.append(
                    f"Container runtime {row['CONTAINER-RUNTIME']!r} (line {index + 1}) "
                    "was not understood."
                )
        index += 1
    return index


def _server_version(line: str, paste: Paste) -> bool:
    if match := _SERVER_RE.match(line):
        paste.add("kubernetes", match[1] or match[2])
        return True
    return bool(_CLIENT_RE.match(line))


def _etcd(line: str, paste: Paste) -> bool:
    if match := _ETCD_RE.match(line):
        paste.add("etcd", match[1])
        return True
    return bool(_ETCD_NOISE_RE.match(line))


def _coredns(line: str, paste: Paste) -> bool:
    if match := _COREDNS_BINARY_RE.match(line) or _COREDNS_IMAGE_RE.search(line):
        paste.add("coredns", match[1])
        return True
    return bool(_COREDNS_NOISE_RE.match(line))


_LINE_READERS: tuple[Callable[[str, Paste], bool], ...] = (_server_version, _etcd, _coredns)
