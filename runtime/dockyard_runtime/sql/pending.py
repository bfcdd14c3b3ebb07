"""Batches prepared in small chunks, loaded in large ones.

Python types and renders a chunk of a few thousand records fastest while it still sits in the CPU cache, and an
engine loads a few large batches faster than many small ones (each COPY, each statement has a fixed cost, and a
job handed to the loading thread costs a GIL hand-over). So the loader renders each chunk as it comes and keeps
the rendered bytes here, per stream, until a load is worth it: then one load takes all of a stream's chunks.
Chunks only join while they load the same way (same client method, same columns); memory is bounded by the
limits on everything pending.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from dockyard_runtime.destination.catalog import StreamKey

# A load of rendered data: called with the data and the staging sequence number of its first row.
Load = Callable[[bytes, int], None]


@dataclass
class _Pending:
    how: tuple[Any, ...]  # chunks join only when they load alike
    load: Load
    first: int
    parts: list[bytes] = field(default_factory=list)
    records: int = 0


def _run(load: Load, parts: list[bytes], first: int) -> None:
    load(parts[0] if len(parts) == 1 else b"".join(parts), first)


class PendingLoads:
    """Rendered chunks waiting to be loaded; every method returns the loads to run now, in order."""

    def __init__(self, max_records: int, max_bytes: int) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._streams: dict[StreamKey, _Pending] = {}
        self._records = 0
        self._bytes = 0

    def add(
        self, stream: StreamKey, how: tuple[Any, ...], load: Load, data: bytes, first: int, records: int
    ) -> list[Callable[[], None]]:
        """Keep a chunk whose rows start at sequence number `first`; a chunk that loads differently from the
        stream's pending ones sends those first."""
        due: list[Callable[[], None]] = []
        pending = self._streams.get(stream)
        if pending is not None and (pending.how != how or pending.first + pending.records != first):
            due += self.take([stream])
            pending = None
        if pending is None:
            pending = self._streams[stream] = _Pending(how=how, load=load, first=first)
        pending.parts.append(data)
        pending.records += records
        self._records += records
        self._bytes += len(data)
        if self._records >= self.max_records or self._bytes >= self.max_bytes:
            due += self.take()
        return due

    def take(self, streams: Collection[StreamKey] | None = None) -> list[Callable[[], None]]:
        """The loads of the pending chunks of `streams` (all when None), which are no longer pending."""
        keys = list(self._streams) if streams is None else [k for k in streams if k in self._streams]
        loads: list[Callable[[], None]] = []
        for key in keys:
            pending = self._streams.pop(key)
            loads.append(partial(_run, pending.load, pending.parts, pending.first))
            self._records -= pending.records
            self._bytes -= sum(map(len, pending.parts))
        return loads

    def drop(self, streams: Collection[StreamKey] | None = None) -> None:
        """Forget the pending chunks of `streams` (all when None): they will never be loaded."""
        self.take(streams)
