"""The destination write loop: route records to buffers, stage by size, commit at state boundaries.

Reading stays cheap per line (two C-level decodes, a dict lookup, an append: see `envelope`); everything
per-batch (checks, schema evolution, rendering, SQL) happens in the loader, which gets records in cache-sized
chunks and whose database work runs in order on a background thread, so the engine loads one batch while this
thread reads the next. States are echoed by the job that commits them, only after `Loader.commit` returns.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import IO, Any

import orjson

from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.destination.envelope import DECODE_ERRORS, MAX_EMITTED_AT, decode_record_line
from dockyard_runtime.destination.input import parse_line
from dockyard_runtime.destination.loader import Job, Loader, Record
from dockyard_runtime.destination.pipeline import OrderedWorker
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.state import StateTracker, state_stream_key
from dockyard_runtime.logs import get_logger

logger = get_logger("write")
_UNSEEN: Any = object()


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
        self.tracker = StateTracker(self._route)
        self.worker: OrderedWorker  # runs the loader's calls; started by `run` once the loader is open
        self.buffers: dict[StreamKey, list[Record]] = {key: [] for key in streams}
        # Where records of an incoming (namespace, name) go; None for streams not in the catalog.
        self.routes: dict[StreamKey, StreamKey | None] = {key: key for key in streams}
        # The hot path's routes, keyed by (namespace, stream) exactly as records spell them; catalog streams only.
        self.fast_routes: dict[tuple[Any, Any], StreamKey] = {key: key for key in streams}
        # Per stream, the loader's decoder of a RECORD's data into a typed record (None: records stay dicts).
        self.decoders: dict[StreamKey, Callable[[bytes], Any] | None] = dict.fromkeys(streams)
        self.buffered_bytes = 0
        self.buffered_records = 0
        self.uncommitted = 0
        self.committed_records = 0
        self.last_commit = time.monotonic()
        self.malformed_lines = 0
        self.staged_per_stream: dict[StreamKey, int] = dict.fromkeys(streams, 0)
        self.per_stream: dict[StreamKey, int] = dict.fromkeys(streams, 0)
        # Streams (None: GLOBAL/legacy states) whose states are new to the ledger: past a replay's overlap, a
        # state identical to a committed one covers new records and must not drop them.
        self.past_replay: set[StreamKey | None] = set()

    # -- input ---------------------------------------------------------------------------------------------
    def run(self, lines: Iterable[bytes]) -> int:
        # Buffered records are millions of acyclic objects that the cyclic collector would rescan again and again
        # (10-15% of the loop's time); it runs once per staged batch instead, when the buffers are empty, and
        # only over objects created since the loop started (the rest is frozen).
        collecting = gc.isenabled()
        gc.disable()
        worker: OrderedWorker | None = None
        try:
            self.loader.open(self.streams)
            for key in self.streams:
                self._refresh_decoder(key)
            gc.freeze()
            worker = self.worker = OrderedWorker(depth=self.settings.queue_depth)
            self._read(lines)
            self._stage_all()
            self._commit(final=True)
            worker.drain()
        finally:
            if worker is not None:
                worker.close()
            gc.unfreeze()
            if collecting:
                gc.enable()
            self.loader.close()
        self._log_summary()
        return self.committed_records

    def _read(self, lines: Iterable[bytes]) -> None:
        """The hot loop. The common line (a RECORD of a known stream, integer emitted_at, no meta) is decoded in
        C (`envelope`) and handled inline, without a function call; its data becomes a typed record when the
        loader offers a decoder for the stream and the values fit it, else a dict. Any other line takes `_handle`,
        which applies every rule."""
        fast_routes, buffers, since, decoders = self.fast_routes, self.buffers, self.tracker.since_state, self.decoders
        batch_bytes, batch_records = self.settings.handed_bytes, self.settings.handed_records
        decode_line, errors = decode_record_line, DECODE_ERRORS
        for lineno, line in enumerate(lines, 1):
            try:
                record = decode_line(line).record
            except errors:  # not a plain RECORD line (a STATE, a LOG, something malformed): the full rules
                self._handle(lineno, line)
                continue
            target = fast_routes.get((record.namespace, record.stream))
            if target is None or record.meta is not None:
                self._handle(lineno, line)
                continue
            data: Any = None
            decode = decoders[target]
            if decode is not None:
                try:
                    data = decode(record.data)
                    if not line.isascii():  # raw JSON text the decoder kept is not checked for valid UTF-8
                        line.decode()
                except errors:  # a new field, a value of another type, bad UTF-8: this record goes as a dict
                    data = None
            if data is None:
                try:
                    data = parse_line(bytes(record.data))
                except ValueError:
                    data = None
                if data.__class__ is not dict:
                    self._handle(lineno, line)
                    continue
            buffers[target].append((data, record.emitted_at, None))
            since[target] += 1
            self.buffered_bytes += len(line)
            self.buffered_records += 1
            if self.buffered_bytes >= batch_bytes or self.buffered_records >= batch_records:
                self._stage_all()

    def _handle(self, lineno: int, line: bytes) -> None:
        try:
            message = parse_line(line)
        except ValueError as exc:
            if line.strip():
                self._malformed(lineno, f"not valid JSON ({exc})")
            return
        self._dispatch(lineno, line, message)

    def _dispatch(self, lineno: int, line: bytes, message: Any) -> None:
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
        namespace = record.get("namespace")
        if namespace is not None and type(namespace) is not str:
            self._malformed(lineno, "a RECORD whose namespace is not a string")
            return
        key: StreamKey = (namespace or None, str(record.get("stream")))
        target = self.routes.get(key, _UNSEEN)
        if target is _UNSEEN:
            target = self._learn_route(key, lineno)
        if target is None:
            return
        spelled = (record.get("namespace"), record.get("stream"))
        if all(v is None or type(v) is str for v in spelled):  # later records spelled alike take the hot path
            self.fast_routes[spelled] = target
        emitted_at = record.get("emitted_at") or 0
        if type(emitted_at) is not int:
            try:
                emitted_at = int(emitted_at)
            except (TypeError, ValueError, OverflowError):
                self._malformed(lineno, "a RECORD whose emitted_at is not a number")
                return
        if not -MAX_EMITTED_AT <= emitted_at <= MAX_EMITTED_AT:
            self._malformed(lineno, "a RECORD whose emitted_at is out of range")
            return
        meta = record.get("meta")
        changes = meta.get("changes") if isinstance(meta, dict) else None
        self.buffers[target].append((data, emitted_at, changes or None))
        self.tracker.record(target)
        self.buffered_bytes += len(line)
        self.buffered_records += 1
        if self.buffered_bytes >= self.settings.handed_bytes or self.buffered_records >= self.settings.handed_records:
            self._stage_all()

    def _route(self, key: StreamKey) -> StreamKey | None:
        """The catalog stream for a (namespace, name) seen in input, tolerating a namespace only one side set."""
        if key in self.routes:
            return self.routes[key]
        namespace, name = key
        if namespace is not None and (None, name) in self.streams:
            return (None, name)
        same_name = [k for k in self.streams if k[1] == name]
        return same_name[0] if namespace is None and len(same_name) == 1 else None

    def _learn_route(self, key: StreamKey, lineno: int) -> StreamKey | None:
        target = self.routes[key] = self._route(key)
        if target is None:
            label = f"{key[0]}.{key[1]}" if key[0] else key[1]
            logger.warning(
                "Ignoring records of stream '%s' (first at line %d): it is not in the configured catalog.",
                label,
                lineno,
            )
        return target

    def _state(self, message: dict[str, Any]) -> None:
        state = message.get("state")
        if isinstance(state, dict):
            key = state_stream_key(state)
            if key is not None:
                key = self._route(key) or key
            if key not in self.past_replay and self.loader.is_committed(state):
                self._drop_replayed(key)
            else:
                self.past_replay.add(key)
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
        for key in self.buffers:
            if self.buffers[key]:
                self._stage(key)
        self.uncommitted += self.buffered_records
        self.buffered_bytes = 0
        self.buffered_records = 0
        if not gc.isenabled():  # the staged records are unreachable now, so this pass is short
            gc.collect()

    def _stage(self, key: StreamKey) -> None:
        buffer, self.buffers[key] = self.buffers[key], []
        self._submit(self.loader.stage(self.streams[key], buffer))
        self.staged_per_stream[key] += len(buffer)
        self._refresh_decoder(key)

    def _refresh_decoder(self, key: StreamKey) -> None:
        """A staged batch may have added or widened columns: later records decode for the new shape."""
        record_decoder = getattr(self.loader, "record_decoder", None)
        if record_decoder is not None:
            self.decoders[key] = record_decoder(self.streams[key])

    def _drop_replayed(self, key: StreamKey | None) -> None:
        """A state a previous attempt committed arrived: the records it covers (its stream's since its last
        state, or all for a GLOBAL state) are re-sent copies of committed ones."""
        keys = list(self.buffers) if key is None else [key] if key in self.buffers else []
        dropped = 0
        for k in keys:
            dropped += len(self.buffers[k]) + self.staged_per_stream[k]
            self.buffered_records -= len(self.buffers[k])
            self.uncommitted -= self.staged_per_stream[k]
            self.buffers[k] = []
            self.staged_per_stream[k] = 0
        if not self.buffered_records:
            self.buffered_bytes = 0
        if key is None:
            self._submit(self.loader.discard_staged())
        elif keys:
            self._submit(self.loader.discard_staged(keys))
        logger.info("State already committed by a previous attempt; dropped %d re-sent record(s).", dropped)

    def _commit(self, *, final: bool) -> None:
        states = self.tracker.take_pending()
        # Records after their stream's latest state stay staged: a replay would resend them.
        held: dict[StreamKey, int] = {}
        if not final:
            for key, count in self.tracker.uncovered().items():
                if min(count, self.staged_per_stream.get(key, 0)):
                    held[key] = min(count, self.staged_per_stream[key])
        job = self.loader.commit(states, held) if held else self.loader.commit(states)
        finish = self.loader.finish() if final else None
        self.worker.submit(partial(self._commit_job, job, finish, states))
        for key, count in self.staged_per_stream.items():
            kept = held.get(key, 0)
            self.per_stream[key] += count - kept
            self.committed_records += count - kept
            self.staged_per_stream[key] = kept
        self.uncommitted = sum(held.values())
        self.last_commit = time.monotonic()

    def _submit(self, job: Job | None) -> None:
        if job is not None:
            self.worker.submit(job)

    def _commit_job(self, commit: Job | None, finish: Job | None, states: list[dict[str, Any]]) -> None:
        """Runs on the worker: states go out only once the commit (and the final `finish`) succeeded."""
        if commit is not None:
            commit()
        if finish is not None:
            finish()
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
