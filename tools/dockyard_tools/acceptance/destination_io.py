"""Driving a destination from a test: fresh configs, protocol messages built in code, and the reader hook.

Every destination ships a reader hook, module `<package>.reader` with
`read_table(config, stream, namespace=None) -> list[dict]`: every row of the stream's final table as a dict of
column name -> value, the `_airbyte_*` columns included. The suite calls it on the host after the connector has
exited, with the config as the host sees it (file paths outside the container).
"""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import DestinationOptions
from dockyard_tools.acceptance.messages import Output
from dockyard_tools.acceptance.runners import RunningConnector

ReadTable = Callable[..., list[dict[str, Any]]]
Message = Mapping[str, Any] | bytes
EMITTED_AT = 1_700_000_000_000
_counter = itertools.count(1)


def load_reader(target: Target) -> ReadTable:
    """The destination's `read_table`, importing it from the connector directory when it is not installed."""
    options = destination_options(target)
    try:
        module = importlib.import_module(options.reader)
    except ModuleNotFoundError:
        sys.path.insert(0, str(target.acceptance.root))
        module = importlib.import_module(options.reader)
    read_table = getattr(module, "read_table", None)
    assert callable(read_table), f"{options.reader} has no read_table(config, stream, namespace=None) hook."
    return read_table  # type: ignore[no-any-return]


def destination_options(target: Target) -> DestinationOptions:
    options = target.acceptance.destination
    assert options is not None, f"{target.acceptance.connector} is not a destination"
    return options


class Destination:
    """One destination instance (a fresh file or database) under test, written to and read back."""

    def __init__(self, target: Target, *, extra_config: Mapping[str, Any] | None = None) -> None:
        self.target = target
        self.read_table = load_reader(target)
        options = destination_options(target)
        base = target.load_config(target.acceptance.valid_configs[0])
        assert isinstance(base, dict), f"{target.label}: the valid config is not a JSON object."
        self.config: dict[str, Any] = {**base, **(extra_config or {})}  # as the connector sees it
        self.host_config: dict[str, Any] = dict(self.config)  # as the reader hook on the host sees it
        instance = next(_counter)
        for field in options.file_fields:
            suffix = Path(str(base.get(field) or "")).suffix or ".db"
            host = target.runner.file(f"destination-{instance}{suffix}")
            self.config[field] = target.runner.inside(host)
            self.host_config[field] = str(host)

    def with_config(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.config, **extra}

    def write(self, catalog: Mapping[str, Any], messages: Iterable[Message], config: Any = None) -> Output:
        return self.target.runner.run(
            "write", config=config if config is not None else self.config, catalog=catalog, stdin=encode(messages)
        )

    def start(self, catalog: Mapping[str, Any], config: Any = None) -> RunningConnector:
        return self.target.runner.start("write", config=config if config is not None else self.config, catalog=catalog)

    def rows(self, stream: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.read_table(self.host_config, stream, namespace)


def encode(messages: Iterable[Message]) -> bytes:
    return b"".join(m if isinstance(m, bytes) else line(m) for m in messages)


def line(message: Mapping[str, Any]) -> bytes:
    """One protocol line; integers beyond 64 bits (which orjson refuses) go through the json module."""
    try:
        return orjson.dumps(message) + b"\n"
    except TypeError:
        return json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n"


# -- building protocol messages ------------------------------------------------------------------------------
def configured_stream(
    name: str,
    properties: Mapping[str, Any],
    *,
    mode: str = "append",
    primary_key: Sequence[str] = ("id",),
    cursor: Sequence[str] = ("updated_at",),
    generation_id: int = 0,
    minimum_generation_id: int = 0,
    sync_id: int = 1,
    namespace: str | None = None,
) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "name": name,
        "json_schema": {"type": "object", "properties": dict(properties)},
        "supported_sync_modes": ["full_refresh", "incremental"],
    }
    if namespace:
        stream["namespace"] = namespace
    entry: dict[str, Any] = {
        "stream": stream,
        "sync_mode": "incremental" if mode != "overwrite" else "full_refresh",
        "destination_sync_mode": mode,
        "generation_id": generation_id,
        "minimum_generation_id": minimum_generation_id,
        "sync_id": sync_id,
    }
    if primary_key:
        entry["primary_key"] = [[k] for k in primary_key]
    if cursor:
        entry["cursor_field"] = list(cursor)
    return entry


def catalog(*streams: Mapping[str, Any]) -> dict[str, Any]:
    return {"streams": list(streams)}


def record(stream: str, data: Mapping[str, Any], *, namespace: str | None = None, at: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"stream": stream, "emitted_at": EMITTED_AT + at, "data": dict(data)}
    if namespace:
        body["namespace"] = namespace
    return {"type": "RECORD", "record": body}


def state(stream: str, position: Any, **extra: Any) -> dict[str, Any]:
    """A per-stream STATE; `extra` fields travel in the state and must come back untouched."""
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"position": position}},
            **extra,
        },
    }


def without_stats(message: Mapping[str, Any]) -> dict[str, Any]:
    """A STATE message minus the statistics a destination adds, to compare with what was sent."""
    inner = {k: v for k, v in (message.get("state") or {}).items() if k not in ("destinationStats", "sourceStats")}
    return {**message, "state": inner}
