"""Incoming state (per-stream or global) and the checkpointers that emit it back.

Stream states, by sync mode:

- full refresh, in progress: `{"state_type": "full_refresh", "pk_columns": [...], "pk_values": [...]}`; the next
  attempt resumes after that key. When the stream finishes: `{"state_type": "full_refresh", "complete": true}`,
  and the next sync starts over.
- cursor incremental: `{"state_type": "cursor", "cursor_field": [...], "cursor": "...", "pk_columns": [...],
  "pk_values": [...]}`; the next read starts strictly after (cursor, pk). Values are PostgreSQL text output,
  cast back to the column's type when bound, so no precision is lost.
- CDC: one GLOBAL state; `shared_state` holds the LSN (see `cdc/reader.py`), stream states the snapshot progress.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from source_postgres.output import emit_global_state, emit_stream_state

StreamKey = tuple[str, str]  # (namespace, name)
logger = logging.getLogger("dockyard.source_postgres")


@dataclass
class IncomingState:
    streams: dict[StreamKey, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, Any] | None = None


def _key(descriptor: Mapping[str, Any]) -> StreamKey:
    return (descriptor.get("namespace") or "", descriptor["name"])


def parse_state(raw: Any) -> IncomingState:
    """Read the `--state` file's content: a list of state messages (wrapped in AirbyteMessage or not)."""
    state = IncomingState()
    messages = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) and raw else []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if message.get("type") == "STATE" and isinstance(message.get("state"), Mapping):
            message = message["state"]
        kind = message.get("type")
        if kind == "STREAM" and isinstance(message.get("stream"), Mapping):
            stream = message["stream"]
            state.streams[_key(stream["stream_descriptor"])] = dict(stream.get("stream_state") or {})
        elif kind == "GLOBAL" and isinstance(message.get("global"), Mapping):
            global_state = message["global"]
            state.shared = dict(global_state.get("shared_state") or {})
            for item in global_state.get("stream_states") or []:
                state.streams[_key(item["stream_descriptor"])] = dict(item.get("stream_state") or {})
        else:
            logger.warning("Ignoring a state message of unsupported type %r; streams start from scratch.", kind)
    return state


class Checkpointer:
    """Emits per-stream STATE messages; counts records since the previous state for `sourceStats`."""

    def __init__(self) -> None:
        self.pending_records = 0

    def add_records(self, count: int) -> None:
        self.pending_records += count

    def checkpoint(self, key: StreamKey, stream_state: Mapping[str, Any]) -> None:
        emit_stream_state(key[0], key[1], stream_state, self.pending_records)
        self.pending_records = 0


class GlobalCheckpointer(Checkpointer):
    """Emits the whole GLOBAL state (shared LSN plus every stream's state) at each checkpoint."""

    def __init__(self, shared: Mapping[str, Any], stream_states: Mapping[StreamKey, Mapping[str, Any]]) -> None:
        super().__init__()
        self.shared = dict(shared)
        self.stream_states: dict[StreamKey, dict[str, Any]] = {k: dict(v) for k, v in stream_states.items()}

    def checkpoint(self, key: StreamKey, stream_state: Mapping[str, Any]) -> None:
        self.stream_states[key] = dict(stream_state)
        self.emit()

    def emit(self) -> None:
        emit_global_state(self.shared, self.stream_states, self.pending_records)
        self.pending_records = 0
