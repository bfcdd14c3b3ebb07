"""Writing records, states and stream statuses to the protocol channel.

Records are the hot path: the server already rendered each row's data as JSON, so a batch of records is one
bytes join around those rows, written without building any per-record object. States and statuses are rare and
go through `protocol.emit` (which masks secrets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from dockyard_runtime import protocol


def descriptor(namespace: str, name: str) -> dict[str, str]:
    return {"name": name, "namespace": namespace}


class RecordWriter:
    """Wraps JSON `data` bytes of one stream in RECORD envelopes."""

    def __init__(self, namespace: str, name: str) -> None:
        envelope = orjson.dumps({"type": "RECORD", "record": {"namespace": namespace, "stream": name}})
        self._head = envelope[:-2] + b',"emitted_at":'
        self.count = 0

    def write(self, data: Iterable[bytes]) -> int:
        """Write one record per `data` item (each a JSON object); returns how many were written."""
        prefix = self._head + str(protocol.now_ms()).encode() + b',"data":'
        items = data if isinstance(data, list) else list(data)
        if not items:
            return 0
        protocol.emit_raw(prefix + (b"}}\n" + prefix).join(items) + b"}}\n")
        self.count += len(items)
        return len(items)


def emit_stream_state(namespace: str, name: str, stream_state: Mapping[str, Any], record_count: int) -> None:
    protocol.emit(
        {
            "type": "STATE",
            "state": {
                "type": "STREAM",
                "stream": {"stream_descriptor": descriptor(namespace, name), "stream_state": dict(stream_state)},
                "sourceStats": {"recordCount": float(record_count)},
            },
        }
    )


def emit_global_state(
    shared_state: Mapping[str, Any], stream_states: Mapping[tuple[str, str], Mapping[str, Any]], record_count: int
) -> None:
    protocol.emit(
        {
            "type": "STATE",
            "state": {
                "type": "GLOBAL",
                "global": {
                    "shared_state": dict(shared_state),
                    "stream_states": [
                        {"stream_descriptor": descriptor(ns, name), "stream_state": dict(state)}
                        for (ns, name), state in stream_states.items()
                    ],
                },
                "sourceStats": {"recordCount": float(record_count)},
            },
        }
    )


def emit_stream_status(namespace: str, name: str, status: str) -> None:
    protocol.emit(
        {
            "type": "TRACE",
            "trace": {
                "type": "STREAM_STATUS",
                "emitted_at": float(protocol.now_ms()),
                "stream_status": {"stream_descriptor": descriptor(namespace, name), "status": status},
            },
        }
    )
