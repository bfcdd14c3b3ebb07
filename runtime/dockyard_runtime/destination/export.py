"""A `Loader` for destinations that are not SQL databases: files, object stores, HTTP APIs, queues.

Such a destination has no staging table to hide records in until a commit, so `BatchExportLoader` keeps them
itself: `stage` spools each batch to a temporary file per stream (memory stays bounded however long the commit
interval), and `commit` hands each stream's spooled records to the one hook a connector writes,
`export_batch(stream, records)`. The write loop echoes a state only after `commit` returns, so a record is
exported before the states that cover it are acknowledged: a sync that dies mid-way is replayed from the last
acknowledged state, and what the destination sees is at-least-once, exactly-once per committed batch when
`export_batch` itself is atomic (write a temporary file, then rename it).
"""

from __future__ import annotations

import pickle
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.errors import FatalError

SPOOL_IN_MEMORY = 8 << 20  # bytes per stream kept in memory before the spool moves to a temporary file


class _Spool:
    """Records of one stream staged since the last commit, pickled one batch at a time.

    Pickle, not JSON: input parsing turns long numbers into Decimal, which must reach `export_batch` unchanged.
    """

    def __init__(self) -> None:
        # Lives until `close`, across many calls: no `with` block can hold it.
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_IN_MEMORY, prefix="dockyard-export-"
        )
        self.count = 0

    def append(self, records: list[Record]) -> None:
        pickle.dump(records, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(records)

    def replay(self) -> Iterator[Record]:
        self.file.seek(0)
        while True:
            try:
                batch: list[Record] = pickle.load(self.file)  # our own spool file, written just above
            except EOFError:
                return
            yield from batch

    def reset(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.count = 0

    def close(self) -> None:
        self.file.close()


class BatchExportLoader(ABC):
    """Base of non-SQL loaders: implement `export_batch`; override `prepare`, `finish` or `close` when needed.

    `export_batch` receives, at each commit, every record staged for one stream since the previous commit, in
    the order received, as (data, emitted_at in ms, changes or None) tuples. It must make them durable before
    it returns; it is never called with an empty batch.
    """

    def __init__(self) -> None:
        self.streams: dict[StreamKey, StreamConfig] = {}
        self._spools: dict[StreamKey, _Spool] = {}

    # -- hooks -------------------------------------------------------------------------------------------------
    def prepare(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        """Create folders, check access, refuse unsupported sync modes (raise ConfigError); called by `open`."""
        return None

    @abstractmethod
    def export_batch(self, stream: StreamConfig, records: Iterator[Record]) -> None:
        """Write one stream's committed records to the destination."""

    def finish(self) -> None:
        """End-of-sync work after the last commit, e.g. replacing the previous data of overwrite streams."""
        return None

    # -- the Loader protocol -----------------------------------------------------------------------------------
    def open(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        self.streams = dict(streams)
        self.prepare(self.streams)

    def stage(self, stream: StreamConfig, records: list[Record]) -> None:
        spool = self._spools.get(stream.key)
        if spool is None:
            spool = self._spools[stream.key] = _Spool()
        spool.append(records)

    def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> None:
        # `uncovered` records are exported now too: without a ledger a replay re-exports anyway (at-least-once).
        for key, spool in self._spools.items():
            if not spool.count:
                continue
            stream = self.streams.get(key)
            if stream is None:  # pragma: no cover - the write loop only stages configured streams
                raise FatalError("Records were staged for a stream that is not in the catalog.", context={"key": key})
            self.export_batch(stream, spool.replay())
            spool.reset()

    def is_committed(self, state: Mapping[str, Any]) -> bool:
        return False  # no ledger: a replayed sync exports its records again (at-least-once)

    def discard_staged(self, streams: Collection[StreamKey] | None = None) -> None:
        for key, spool in self._spools.items():
            if streams is None or key in streams:
                spool.reset()

    def close(self) -> None:
        for spool in self._spools.values():
            spool.close()
        self._spools.clear()

    @property
    def staged_records(self) -> int:
        """Records staged and not yet committed, across streams."""
        return sum(spool.count for spool in self._spools.values())
