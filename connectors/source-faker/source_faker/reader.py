"""Reading one stream: where to resume from the state, slicing, and a checkpoint after every slice.

Slices are cut by `records_per_slice`, blocks (the unit of generation, see `draws`) by a fixed size; a slice may
start in the middle of a block, so the last block generated is kept for the next slice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.fast import Checkpoint, ReadItem, Record

from source_faker.draws import BLOCK
from source_faker.generators import GENERATORS, PRODUCT_COUNT, Generator
from source_faker.settings import FakerSettings
from source_faker.timeline import format_one, last_id_at, parse_cursor, updated_at_seconds

CURSOR = "updated_at"

logger = logging.getLogger("source_faker")


def stream_size(stream: str, settings: FakerSettings) -> int:
    return PRODUCT_COUNT if stream == "products" else settings.count


def resume_after(stream: str, state: Mapping[str, Any] | None, settings: FakerSettings) -> int:
    """The last id a previous sync emitted, by the state's cursor (0 without one)."""
    if not state or CURSOR not in state:
        return 0
    value = state[CURSOR]
    try:
        seconds = parse_cursor(value)
    except ValueError as exc:
        raise ConfigError(
            f"The state of stream '{stream}' is not valid: {CURSOR} {value!r} is not an ISO 8601 date-time "
            f"(expected e.g. {format_one(updated_at_seconds(1))}).",
            context={"stream": stream},
        ) from exc
    previous_seed = state.get("seed", settings.seed)
    if previous_seed != settings.seed:
        logger.warning(
            "The state of stream '%s' was written with seed %s, the config has seed %s: records up to the cursor "
            "were generated with the old seed and are not read again.",
            stream,
            previous_seed,
            settings.seed,
        )
    return last_id_at(seconds)


class _Blocks:
    """Generated blocks of one stream, keeping the last one for a slice that starts inside it."""

    def __init__(self, generate: Generator, settings: FakerSettings) -> None:
        self._generate = generate
        self._settings = settings
        self._number = -1
        self._rows: list[Record] = []

    def _block(self, number: int) -> list[Record]:
        if number != self._number:
            self._rows = self._generate(self._settings.seed, number, self._settings.count)
            self._number = number
        return self._rows

    def records(self, first: int, last: int) -> Iterator[list[Record]]:
        """Records with ids first..last, one list per block they touch."""
        while first <= last:
            number = (first - 1) // BLOCK
            base = number * BLOCK  # the block holds ids base + 1 .. base + BLOCK
            rows = self._block(number)
            start, end = first - base - 1, min(last - base, BLOCK)
            yield rows if start == 0 and end == BLOCK else rows[start:end]
            first = base + end + 1


def read_records(stream: str, settings: FakerSettings, state: Mapping[str, Any] | None) -> Iterator[ReadItem]:
    size = stream_size(stream, settings)
    after = resume_after(stream, state, settings)
    if after >= size:
        cursor = state[CURSOR] if state and CURSOR in state else format_one(updated_at_seconds(after))
        yield Checkpoint({CURSOR: cursor, "seed": settings.seed})
        return
    blocks = _Blocks(GENERATORS[stream], settings)
    for first in range(after + 1, size + 1, settings.records_per_slice):
        last = min(first + settings.records_per_slice - 1, size)
        yield from blocks.records(first, last)
        yield Checkpoint({CURSOR: format_one(updated_at_seconds(last)), "seed": settings.seed})
