"""The configured catalog as the destination needs it: one `StreamConfig` per (namespace, name)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard_runtime.errors import ConfigError

SYNC_MODES = ("append", "overwrite", "append_dedup")
StreamKey = tuple[str | None, str]


@dataclass(frozen=True)
class StreamConfig:
    """What a destination must know about one stream to load it."""

    name: str
    namespace: str | None
    json_schema: Mapping[str, Any]
    sync_mode: str
    primary_key: tuple[tuple[str, ...], ...] = ()
    cursor_field: tuple[str, ...] = ()
    generation_id: int = 0
    minimum_generation_id: int = 0
    sync_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> StreamKey:
        return (self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def truncates(self) -> bool:
        """True when this sync replaces the stream's previous data (overwrite, or a truncate refresh)."""
        return self.sync_mode == "overwrite" or (
            self.minimum_generation_id > 0 and self.minimum_generation_id >= self.generation_id
        )


def _paths(value: Any) -> tuple[tuple[str, ...], ...]:
    if not value:
        return ()
    if isinstance(value, str):  # a lone field name, not a list of paths
        return ((value,),)
    return tuple(tuple(str(p) for p in path) if isinstance(path, list) else (str(path),) for path in value)


def _number(entry: Mapping[str, Any], key: str, stream: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"Stream {stream} has an invalid {key} '{value}' (expected an integer).") from None


def parse_catalog(catalog: Any) -> dict[StreamKey, StreamConfig]:
    """Validate a configured catalog; errors name the stream and the valid values."""
    if not isinstance(catalog, Mapping) or not isinstance(catalog.get("streams"), list):
        raise ConfigError("The configured catalog must be a JSON object with a 'streams' list.")
    streams: dict[StreamKey, StreamConfig] = {}
    for index, entry in enumerate(catalog["streams"]):
        stream = entry.get("stream") if isinstance(entry, Mapping) else None
        if not isinstance(stream, Mapping) or not stream.get("name"):
            raise ConfigError(f"Catalog entry {index} has no stream name.")
        name = str(stream["name"])
        mode = entry.get("destination_sync_mode", "append")
        if mode not in SYNC_MODES:
            raise ConfigError(f"Unknown sync mode '{mode}' for stream {name} (expected: {', '.join(SYNC_MODES)}).")
        primary_key = _paths(entry.get("primary_key") or stream.get("source_defined_primary_key"))
        if mode == "append_dedup" and not primary_key:
            raise ConfigError(f"Stream {name} uses append_dedup but has no primary key.")
        config = StreamConfig(
            name=name,
            namespace=stream.get("namespace") or None,
            json_schema=stream.get("json_schema") or {},
            sync_mode=mode,
            primary_key=primary_key,
            cursor_field=tuple(str(p) for p in entry.get("cursor_field") or stream.get("default_cursor_field") or ()),
            generation_id=_number(entry, "generation_id", name) or 0,
            minimum_generation_id=_number(entry, "minimum_generation_id", name) or 0,
            sync_id=_number(entry, "sync_id", name),
        )
        if config.key in streams:
            raise ConfigError(f"Stream {config.label} appears twice in the configured catalog.")
        streams[config.key] = config
    return streams
