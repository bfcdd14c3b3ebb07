"""Running a source's protocol commands in-process and collecting the messages, for tests.

Tests of a FastSource want the exact messages a `read` writes without a subprocess; these helpers redirect the
protocol channel to memory for one call and parse what came out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from dockyard_runtime import protocol
from dockyard_runtime.source.fast import FastSource

Message = dict[str, Any]


def capture_read(source: FastSource, config: Mapping[str, Any], catalog: Any, state: Any = None) -> list[Message]:
    """The messages of `source.read(...)`; the protocol output is restored afterwards, even on error."""
    out = io.BytesIO()
    previous = protocol.output()
    protocol.set_output(out)
    try:
        source.read(config, catalog, state)
    finally:
        protocol.set_output(previous)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def configured_catalog(streams: Iterable[str], *, sync_mode: str = "incremental") -> dict[str, Any]:
    """A configured catalog selecting `streams` by name with one sync mode."""
    return {
        "streams": [
            {"stream": {"name": name, "json_schema": {}}, "sync_mode": sync_mode, "destination_sync_mode": "append"}
            for name in streams
        ]
    }


def records_of(messages: Iterable[Message], stream: str | None = None) -> list[dict[str, Any]]:
    """The data of RECORD messages, of one stream or of all."""
    return [
        m["record"]["data"]
        for m in messages
        if m["type"] == "RECORD" and (stream is None or m["record"]["stream"] == stream)
    ]


def states_of(messages: Iterable[Message], stream: str | None = None) -> list[dict[str, Any]]:
    """The `state` objects of STATE messages, ready to be passed back as the state of the next read."""
    return [
        m["state"]
        for m in messages
        if m["type"] == "STATE" and (stream is None or m["state"]["stream"]["stream_descriptor"]["name"] == stream)
    ]
