"""Which file first named each source URL, in at most 36 bytes a URL rather than a dict of
strings (about 250 bytes a URL): reading 100k story files holds 1.6 URLs a story."""

import hashlib
from array import array

_EMPTY = 0


def _digest(url: str) -> int:
    # 64 bits: two different URLs share one with odds of about 1 in 10^8 at a million URLs;
    # the caller confirms a match from the earlier file before reporting it.
    value = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")
    return value >> 1 or 1  # signed 64-bit slots; 0 marks an empty one


class FirstSeen:
    """An open-addressing table of URL digests and the position of the file that named each
    first (linear probing, at most two thirds full)."""

    def __init__(self) -> None:
        self._digests = array("q", [_EMPTY]) * 1024
        self._positions = array("i", [0]) * 1024  # file positions, below 2**31
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def setdefault(self, url: str, position: int) -> int:
        """The position recorded for `url`, recording `position` when there is none."""
        digest = _digest(url)
        slot = self._find(digest)
        if self._digests[slot] == digest:
            return self._positions[slot]
        self._digests[slot], self._positions[slot] = digest, position
        self._used += 1
        if 3 * self._used > 2 * len(self._digests):
            self._grow()
        return position

    def _find(self, digest: int) -> int:
        mask = len(self._digests) - 1
        slot = digest & mask
        while self._digests[slot] not in (_EMPTY, digest):
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        digests, positions = self._digests, self._positions
        self._digests = array("q", [_EMPTY]) * (2 * len(digests))
        self._positions = array("i", [0]) * (2 * len(digests))
        for digest, position in zip(digests, positions, strict=True):
            if digest != _EMPTY:
                slot = self._find(digest)
                self._digests[slot], self._positions[slot] = digest, position
