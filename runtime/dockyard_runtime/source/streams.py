"""What a fast source declares and yields: stream definitions, configured streams and checkpoints.

Kept free of I/O so connectors and tests can build these without touching stdout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

FULL_REFRESH = "full_refresh"
INCREMENTAL = "incremental"

Record: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class StreamDefinition:
    """A stream as the source offers it in `discover`.

    A stream with a `cursor_field` supports incremental reads with that source-defined cursor; one without
    supports full refresh only.
    """

    name: str
    json_schema: Mapping[str, Any]
    primary_key: Sequence[Sequence[str]] | None = None
    cursor_field: Sequence[str] | None = None
    namespace: str | None = None

    @property
    def sync_modes(self) -> tuple[str, ...]:
        return (FULL_REFRESH, INCREMENTAL) if self.cursor_field else (FULL_REFRESH,)

    @property
    def descriptor(self) -> dict[str, str]:
        descriptor = {"name": self.name}
        if self.namespace is not None:
            descriptor["namespace"] = self.namespace
        return descriptor

    def to_airbyte(self) -> dict[str, Any]:
        """The AirbyteStream dict for the CATALOG message."""
        stream: dict[str, Any] = {
            "name": self.name,
            "json_schema": dict(self.json_schema),
            "supported_sync_modes": list(self.sync_modes),
            "is_resumable": bool(self.cursor_field),
        }
        if self.namespace is not None:
            stream["namespace"] = self.namespace
        if self.cursor_field:
            stream["source_defined_cursor"] = True
            stream["default_cursor_field"] = list(self.cursor_field)
        if self.primary_key:
            stream["source_defined_primary_key"] = [list(path) for path in self.primary_key]
        return stream


@dataclass(frozen=True)
class ConfiguredStream:
    """One entry of the configured catalog, matched to the source's own definition."""

    definition: StreamDefinition
    sync_mode: str
    destination_sync_mode: str = "append"

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def incremental(self) -> bool:
        return self.sync_mode == INCREMENTAL


@dataclass(frozen=True)
class Checkpoint:
    """A stream state that holds once every record yielded before it has been written."""

    state: Mapping[str, Any] = field(default_factory=dict)


ReadItem: TypeAlias = Sequence[Record] | Record | Checkpoint
"""What `FastSource.read_stream` yields: a batch of records (fastest), a single record, or a checkpoint."""
