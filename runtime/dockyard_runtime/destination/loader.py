"""The hook a destination implements to land batches: the write loop calls it, it never parses input.

The contract that makes state handling correct: `stage` may store records anywhere (memory, a staging table)
but must not make them visible in final tables; `commit` makes everything staged so far visible atomically,
and only after it returns are the covered states echoed. A loader that can remember committed states (a
ledger stored with the data) gets exactly-once replays: `is_committed` lets the write loop drop records that a
restarted sync re-sends for a state already committed. For that to hold with per-stream states, `commit` must
keep back the records `uncovered` names (a stream's records after its latest state): a restarted sync resends
them, because no echoed state covers them.

Any call made during the write may return a job: the database part of its work, which the write loop runs
later on its background thread, strictly in call order (a commit's states are echoed once its job has run).
The call itself must do everything that depends on the loader's changing state, so a job reads nothing later
calls change; a loader that returns None has done all its work in the call.

A loader may offer `record_decoder(stream)`: a function that decodes a RECORD's `data` JSON into a typed
record for the stream's current shape, raising a msgspec error for data that does not fit it. The write loop then
buffers what it returns in place of a dict (records it refused stay dicts), and asks again after each batch of
the stream it stages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from dockyard_runtime.destination.catalog import StreamConfig, StreamKey

# A record on its way to a loader: (data, emitted_at in ms, changes recorded upstream or None). For a loader
# with `record_decoder`, data may be the typed record that decoder made instead of a dict.
Record = tuple[dict[str, Any], int, list[dict[str, Any]] | None]
# The deferred database work of a loader call, run on the write loop's background thread.
Job = Callable[[], None]


class StagingJob:
    """A job that only adds rows to staging, where no commit planned before it looks (higher sequence numbers,
    or tables it alone touches): a loader with `concurrent_staging` lets the write loop run such jobs on a lane
    of their own, alongside earlier commits, on a connection of their own. Every other job still waits for
    the staging jobs submitted before it."""

    __slots__ = ("run",)

    def __init__(self, run: Job) -> None:
        self.run = run

    def __call__(self) -> None:
        self.run()


class Loader(Protocol):
    def open(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        """Prepare destinations for the streams of this sync (schemas, tables, staging)."""

    def stage(self, stream: StreamConfig, records: list[Record]) -> Job | None:
        """Store a batch; it must stay invisible in final tables until `commit`."""

    def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> Job | None:
        """Atomically make staged records visible (and remember `states` when keeping a ledger), except, per
        stream in `uncovered`, that many most recently staged records: they stay staged for a later commit."""

    def is_committed(self, state: Mapping[str, Any]) -> bool:
        """True when a previous attempt of this sync already committed this exact state."""

    def discard_staged(self, streams: Collection[StreamKey] | None = None) -> Job | None:
        """Drop staged, uncommitted records of `streams` (all when None): a previous attempt committed them."""

    def finish(self) -> Job | None:
        """End-of-sync work after the last commit: overwrite swaps, removal of older generations."""

    def close(self) -> None:
        """Release connections; called whether the sync succeeded or not."""
