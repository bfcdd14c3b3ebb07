"""The destination write loop: route records to buffers, stage by size, commit at state boundaries.

Reading stays cheap per line (one orjson parse, a dict lookup, an append); everything per-batch (typing,
schema evolution, SQL) happens in the loader. States are echoed only after `Loader.commit` returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import IO, Any

import orjson

from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.destination.input import parse_line
from dockyard_runtime.destination.loader import Loader, Record
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.state import StateTracker
from dockyard_runtime.logs import get_logger

logger = get_logger("write")


class WriteLoop:
    """One sync's worth of input for one loader; `run` consumes the input and returns records committed."""

    def __init__(
        self,
        loader: Loader,
        streams: Mapping[StreamKey, StreamConfig],
        out: IO[bytes],
        settings: WriteSettings | None = None,
    ) -> None:
        self.loader = loader
        self.streams = streams
        self.out = out
        self.settings = settings or WriteSettings()
        self.tracker = StateTracker()
        self.buffers: dict[StreamKey, list[Record]] = {key: [] for key in streams}
        self.buffered_bytes = 0
        self.buffered_records = 0
        self.uncommitted = 0
        self.committed_records = 0
        self.last_commit = time.monotonic()
        self.unknown_streams: set[StreamKey] = set()
        self.malformed_lines = 0
        self.per_stream: dict[StreamKey, int] = dict.fromkeys(streams, 0)

    # -- input ---------------------------------------------------------------------------------------------
    def run(self, lines: Iterable[bytes]) -> int:
        self.loader.open(self.streams)
        try:
            for lineno, line in enumerate(lines, 1):
                self._handle(lineno, line)
            self._stage_all()
            self._commit(final=True)
        finally:
            self.loader.close()
        self._log_summary()
        return self.committed_records

    def _handle(self, lineno: int, line: bytes) -> None:
        try:
            message = parse_line(line)
        except ValueError as exc:
            if line.strip():
                self._malformed(lineno, f"not valid JSON ({exc})")
            return
        if not isinstance(message, dict):
            self._malformed(lineno, "not a JSON object")
            return
        kind = message.get("type")
        if kind == "RECORD":
            self._record(lineno, line, message)
        elif kind == "STATE":
            self._state(message)
        elif kind not in ("LOG", "TRACE"):
            logger.debug("Ignoring a %s message at line %d", kind, lineno)

    def _malformed(self, lineno: int, reason: str) -> None:
        self.malformed_lines += 1
        logger.warning("Skipping malformed input line %d: %s.", lineno, reason)

    def _record(self, lineno: int, line: bytes, message: dict[str, Any]) -> None:
        record = message.get("record")
        data = record.get("data") if isinstance(record, dict) else None
        if not isinstance(record, dict) or not isinstance(data, dict):
            self._malformed(lineno, "a RECORD without a 'data' object")
            return
        key: StreamKey = (record.get("namespace") or None, str(record.get("stream")))
        buffer = self.buffers.get(key)
        if buffer is None and key[0] is not None:
            key = (None, key[1])
            buffer = self.buffers.get(key)
        if buffer is None:
            if key not in self.unknown_streams:
                self.unknown_streams.add(key)
                logger.warning(
                    "Ignoring records of stream '%s' (line %d): it is not in the configured catalog.",
                    record.get("stream"),
                    lineno,
                )
            return
        meta = record.get("meta")
        changes = meta.get("changes") if isinstance(meta, dict) else None
        buffer.append((data, int(record.get("emitted_at") or 0), changes or None))
        self.tracker.record(key)
        self.buffered_bytes += len(line)
        self.buffered_records += 1
        if self.buffered_bytes >= self.settings.batch_bytes or self.buffered_records >= self.settings.batch_records:
            self._stage_all()

    def _state(self, message: dict[str, Any]) -> None:
        state = message.get("state")
        if isinstance(state, dict) and self.loader.is_committed(state):
            dropped = self.buffered_records + self.uncommitted
            self._drop_uncommitted()
            self.tracker.receive(message)
            logger.info("State already committed by a previous attempt; dropped %d re-sent record(s).", dropped)
            self._emit_states(self.tracker.take_pending())
            return
        self.tracker.receive(message)
        pending = self.uncommitted + self.buffered_records
        if (
            pending == 0
            or pending >= self.settings.commit_records
            or time.monotonic() - self.last_commit >= self.settings.commit_seconds
        ):
            self._stage_all()
            self._commit(final=False)

    # -- batches and commits --------------------------------------------------------------------------------
    def _stage_all(self) -> None:
        for key, buffer in self.buffers.items():
            if buffer:
                self.loader.stage(self.streams[key], buffer)
                self.per_stream[key] += len(buffer)
                self.buffers[key] = []
        self.uncommitted += self.buffered_records
        self.buffered_bytes = 0
        self.buffered_records = 0

    def _drop_uncommitted(self) -> None:
        self.loader.discard_staged()
        for key in self.buffers:
            self.buffers[key] = []
        self.buffered_bytes = self.buffered_records = self.uncommitted = 0

    def _commit(self, *, final: bool) -> None:
        states = self.tracker.take_pending()
        self.loader.commit(states)
        if final:
            self.loader.finish()
        self.committed_records += self.uncommitted
        self.uncommitted = 0
        self.last_commit = time.monotonic()
        self._emit_states(states)

    def _emit_states(self, states: list[dict[str, Any]]) -> None:
        if states:
            self.out.write(b"".join(orjson.dumps(s) + b"\n" for s in states))
            self.out.flush()

    def _log_summary(self) -> None:
        parts = ", ".join(f"{self.streams[k].label}={n}" for k, n in self.per_stream.items())
        logger.info("Committed %d record(s): %s.", self.committed_records, parts or "no streams")
        if self.malformed_lines:
            logger.warning("Skipped %d malformed input line(s).", self.malformed_lines)
