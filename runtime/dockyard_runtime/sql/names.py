"""Stable SQL identifiers for stream and field names.

Names are lowercased and reduced to letters, digits (of any script) and underscores (quoting then makes reserved
words safe); a name over the engine's limit keeps a readable prefix and gains a hash of the original, so two long
names never collide and the same source name always maps to the same identifier, sync after sync. A name with
nothing readable in it (only emoji or punctuation) is its hash, so such names do not all collapse into one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_INVALID = re.compile(r"\W+")  # anything but letters, digits and "_" (Unicode-aware)
_EDGES = re.compile(r"^\W+|\W+$")


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _fit(name: str, max_bytes: int, original: str, force_hash: bool = False) -> str:
    if len(name.encode("utf-8")) <= max_bytes and not force_hash:
        return name
    suffix = "_" + short_hash(original)
    budget = max_bytes - len(suffix)
    prefix = name.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return prefix + suffix


def normalize(name: str, max_bytes: int = 63, *, hashed: bool = False) -> str:
    """A lowercase identifier of at most `max_bytes` bytes derived from `name` (deterministic); `hashed` adds
    the hash suffix even to a short name (for a name that collides with another one)."""
    lowered = unicodedata.normalize("NFC", name).lower()
    cleaned = _INVALID.sub("_", _EDGES.sub("", lowered))
    if not cleaned.strip("_"):
        return "_" + short_hash(name)
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return _fit(cleaned, max_bytes, name, force_hash=hashed)


class ColumnNamer:
    """Assigns column names for one table; a later name that would collide gets a hash suffix."""

    def __init__(self, max_bytes: int = 63, reserved: tuple[str, ...] = ()) -> None:
        self.max_bytes = max_bytes
        self._by_original: dict[str, str] = {}
        self._taken: set[str] = set(reserved)

    def name_for(self, original: str) -> str:
        name = self._by_original.get(original)
        if name is not None:
            return name
        name = normalize(original, self.max_bytes)
        if name in self._taken:
            name = _fit(name, self.max_bytes, original, force_hash=True)
        self._by_original[original] = name
        self._taken.add(name)
        return name
