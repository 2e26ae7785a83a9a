"""Whether a version is inside an affected range, in the OSV model.

A range is one run of events for one product: `introduced` (the first affected
version, `0` for "every version before the fix"), then at most one of `fixed` (the
first version without the bug) or `last_affected` (the last version known to have
it). A backport is a second range: `0`→`1.27.5` and `1.28.0`→`1.28.1` say 1.27.5 and
1.28.1 are fixed while 1.28.0 is not. A range with neither end is affected from
`introduced` on, with no fix known.
"""

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import Version

from apps.affected.versions import NODE_COMPONENTS, PRODUCTS, ParsedVersion, parse_version

FROM_THE_START = "0"


class Verdict(enum.StrEnum):
    AFFECTED = "affected"
    FIXED = "fixed"  # the version is past this range's fix
    BEFORE = "before"  # the version predates the range


@dataclass(frozen=True)
class Range:
    product: str
    introduced: str
    fixed: str = ""
    last_affected: str = ""
    component: str = ""
    evidence: str = ""
    note: str = ""

    def verdict(self, version: ParsedVersion) -> Verdict:
        if self.introduced != FROM_THE_START and version.value < self._parse(self.introduced):
            return Verdict.BEFORE
        if self.fixed and version.value >= self._parse(self.fixed):
            return Verdict.FIXED
        if self.last_affected and version.value > self._parse(self.last_affected):
            return Verdict.FIXED
        return Verdict.AFFECTED

    def describe(self) -> str:
        """In words: "affects etcd from 3.5.0, fixed in 3.5.3"."""
        name = PRODUCTS[self.product].name + (f" ({self.component})" if self.component else "")
        start = "" if self.introduced == FROM_THE_START else f" from {self.introduced}"
        if self.fixed:
            span = start or f" before {self.fixed}"
            return f"affects {name}{span}, fixed in {self.fixed}"
        if self.last_affected:
            span = f"{start} to {self.last_affected}" if start else f" up to {self.last_affected}"
            return f"affects {name}{span}; no fixed version recorded"
        return (
            f"affects {name}{start} on; no fix known"
            if start
            else f"affects every {name} version; no fix known"
        )

    def version_source(self) -> tuple[str, ...]:
        """The products whose version this range is checked against, first found wins:
        node components (kubelet, kube-proxy) run the nodes' version when it is known."""
        if self.product == "kubernetes" and self.component in NODE_COMPONENTS:
            return ("kubelet", "kubernetes")
        return (self.product,)

    def _parse(self, text: str) -> Version:
        return parse_version(self.product, text).value


@dataclass(frozen=True)
class Match:
    range: Range
    version: ParsedVersion
    product: str  # the product the version was given for (kubelet for a node component)


@dataclass
class Assessment:
    """One upstream issue against a set of versions."""

    affected: list[Match] = field(default_factory=list)
    fixed: list[Match] = field(default_factory=list)
    checked: bool = False  # at least one of its ranges concerns a product given

    @property
    def verdict(self) -> Verdict | None:
        if self.affected:
            return Verdict.AFFECTED
        if self.fixed:
            return Verdict.FIXED
        return Verdict.BEFORE if self.checked else None


def assess(ranges: Iterable[Range], versions: Mapping[str, Sequence[ParsedVersion]]) -> Assessment:
    """Every given version against every range of one issue."""
    result = Assessment()
    for item in ranges:
        product = next((p for p in item.version_source() if versions.get(p)), None)
        if product is None:
            continue
        result.checked = True
        for version in versions[product]:
            verdict = item.verdict(version)
            if verdict is Verdict.AFFECTED:
                result.affected.append(Match(item, version, product))
            elif verdict is Verdict.FIXED:
                result.fixed.append(Match(item, version, product))
    return result


def fixed_versions(ranges: Iterable[Range], product: str) -> list[str]:
    """The versions that fix the bug for `product`, lowest first (one per release line)."""
    found = {r.fixed for r in ranges if r.product == product and r.fixed}
    return sorted(found, key=lambda text: parse_version(product, text).value)
