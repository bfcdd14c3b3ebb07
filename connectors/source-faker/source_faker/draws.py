"""Seeded random draws, a whole column at a time.

Records are generated in blocks of `BLOCK` ids, each block from its own `random.Random` seeded with the config
seed, the stream name and the block number. A record therefore depends only on (seed, stream, id): a read that
resumes from a state, or uses another `records_per_slice`, produces exactly the records a single full read would.

A column of a block is drawn in one call: `randbytes` gives one byte per record, mapped through a 256-entry table
of values (an index expression per record in a list comprehension, no Python call per value). Tables spread the
values as evenly as 256 slots allow, or by the weights given.
"""

from __future__ import annotations

import random
import sys
from array import array
from collections.abc import Sequence
from typing import TypeVar

BLOCK = 1000

T = TypeVar("T")


def block_rng(seed: int, stream: str, block: int) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, so it is stable across runs and PYTHONHASHSEED.
    return random.Random(f"{seed}:{stream}:{block}")


def table(values: Sequence[T]) -> tuple[T, ...]:
    """256 slots shared out evenly among `values` (at most 256 of them)."""
    count = len(values)
    if not 0 < count <= 256:
        raise ValueError(f"a draw table takes 1 to 256 values, got {count}")
    return tuple(values[(slot * count) >> 8] for slot in range(256))


def weighted_table(weights: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    """256 slots shared out among values in proportion to their integer weights."""
    total = sum(weight for _, weight in weights)
    slots: list[T] = []
    cumulative = 0
    for value, weight in weights:
        cumulative += weight
        slots.extend([value] * (round(cumulative * 256 / total) - len(slots)))
    return tuple(slots)


def uint32s(rng: random.Random, count: int) -> array[int]:
    """`count` uniform integers in [0, 2**32), the same on every platform."""
    values = array("I", rng.randbytes(4 * count))  # "I" is 4 bytes wide wherever CPython runs
    if sys.byteorder == "big":  # pragma: no cover - the bytes are read as little-endian everywhere
        values.byteswap()
    return values
