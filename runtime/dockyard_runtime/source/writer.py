"""Turning batches of record dicts into protocol lines without a message object per record.

The envelope around a record's data is the same for a whole batch, so it is built once as bytes
(`{"type":"RECORD","record":{"stream":...,"emitted_at":...,"data":`) and joined around orjson's output for each
record. Output is collected into chunks of about a megabyte before it reaches stdout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

import orjson

from dockyard_runtime import protocol
from dockyard_runtime.errors import FatalError
from dockyard_runtime.source.streams import Record, StreamDefinition


class RecordWriter:
    """Serializes records and states into protocol lines and writes them in chunks of about `chunk_bytes`.

    Records and states are data and are not secret-masked (`protocol.dumps` masks only the other
    messages). LOG messages are written straight to the output, so a log line can come out
    ahead of records produced before it by at most one chunk.
    """

    def __init__(
        self,
        out: IO[bytes],
        *,
        chunk_bytes: int = 1 << 20,
        json_default: Callable[[Any], Any] | None = None,
    ) -> None:
        self._out = out
        self._chunk_bytes = chunk_bytes
        self._parts: list[bytes] = []
        self._size = 0
        self._dumps: Callable[[Any], bytes] = (
            orjson.dumps if json_default is None else functools.partial(orjson.dumps, default=json_default)
        )
        self._envelopes: dict[tuple[str | None, str], bytes] = {}

    def _envelope_head(self, stream: StreamDefinition) -> bytes:
        key = (stream.namespace, stream.name)
        head = self._envelopes.get(key)
        if head is None:
            namespace = b'"namespace":' + orjson.dumps(stream.namespace) + b"," if stream.namespace is not None else b""
            head = b'{"type":"RECORD","record":{' + namespace + b'"stream":' + orjson.dumps(stream.name)
            self._envelopes[key] = head
        return head

    def write_records(self, stream: StreamDefinition, records: Sequence[Record]) -> int:
        """Write a batch sharing one `emitted_at`; returns how many records were written."""
        if not records:
            return 0
        prefix = self._envelope_head(stream) + b',"emitted_at":%d,"data":' % protocol.now_ms()
        suffix = b"}}\n"
        try:
            body = prefix + (suffix + prefix).join(map(self._dumps, records)) + suffix
        except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
            raise FatalError(
                f"A record of stream '{stream.name}' cannot be serialized to JSON: {exc}.",
                context={"stream": stream.name},
            ) from exc
        self._append(body)
        return len(records)

    def write_state(self, stream: StreamDefinition, state: Mapping[str, Any], record_count: int) -> None:
        self.write_message(
            {
                "type": "STATE",
                "state": {
                    "type": "STREAM",
                    "stream": {"stream_descriptor": stream.descriptor, "stream_state": dict(state)},
                    "sourceStats": {"recordCount": float(record_count)},
                },
            }
        )

    def write_status(self, stream: StreamDefinition, status: str) -> None:
        self.write_message(
            {
                "type": "TRACE",
                "trace": {
                    "type": "STREAM_STATUS",
                    "emitted_at": float(protocol.now_ms()),
                    "stream_status": {"stream_descriptor": stream.descriptor, "status": status},
                },
            }
        )

    def write_message(self, message: Mapping[str, Any]) -> None:
        self._append(protocol.dumps(message))

    def _append(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self._chunk_bytes:
            self._drain()

    def _drain(self) -> None:
        if self._parts:
            self._out.write(self._parts[0] if len(self._parts) == 1 else b"".join(self._parts))
            self._parts.clear()
            self._size = 0

    def flush(self) -> None:
        self._drain()
        self._out.flush()
