"""The summaries a database already holds, by digest: a story file whose summary is not
among them is rendered while it is parsed, in the parsing process, and the others are not
(an unchanged re-import renders nothing). Eight bytes a summary."""

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable

_HALF = 1 << 63


def _digest(hexdigest: str) -> int:
    # The first 64 bits of an MD5 (the one digest both databases compute), as a signed slot.
    return int(hexdigest[:16], 16) - _HALF


class StoredSummaries:
    """A sorted array of summary digests; `summary in stored` tells whether one is held."""

    def __init__(self, md5_hexdigests: Iterable[str]) -> None:
        self._digests = array("q", sorted(map(_digest, md5_hexdigests)))

    def __len__(self) -> int:
        return len(self._digests)

    def __contains__(self, summary: object) -> bool:
        if not isinstance(summary, str):
            return False
        digest = _digest(hashlib.md5(summary.encode(), usedforsecurity=False).hexdigest())
        index = bisect_left(self._digests, digest)
        return index < len(self._digests) and self._digests[index] == digest
