"""The configured catalog, checked against the live tables, as one plan per stream to read."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockyard_runtime.errors import ConfigError

from source_postgres.discovery import Table
from source_postgres.state import StreamKey

logger = logging.getLogger("dockyard.source_postgres")


@dataclass(frozen=True)
class StreamPlan:
    table: Table
    sync_mode: str
    cursor_field: str | None
    primary_key: tuple[str, ...]

    @property
    def key(self) -> StreamKey:
        return (self.table.namespace, self.table.name)


def _first_path_elements(paths: Any) -> tuple[str, ...]:
    return tuple(path[0] for path in paths or [] if isinstance(path, list) and path)


def _plan(entry: Mapping[str, Any], table: Table, *, cdc: bool) -> StreamPlan:
    sync_mode = entry.get("sync_mode", "full_refresh")
    primary_key = _first_path_elements(entry.get("primary_key")) or table.primary_key
    for column in primary_key:
        if table.column(column) is None:
            raise ConfigError(
                f"Primary key column '{column}' of stream {table.label} does not exist.",
                context={"columns": ", ".join(c.name for c in table.columns)},
            )
    if sync_mode == "full_refresh":
        return StreamPlan(table, sync_mode, None, primary_key)
    if sync_mode != "incremental":
        raise ConfigError(
            f"Unknown sync mode '{sync_mode}' for stream {table.label} (expected: full_refresh, incremental)."
        )
    if cdc:
        if not table.primary_key:
            raise ConfigError(
                f"Stream {table.label} has no primary key, so CDC cannot read it incrementally; "
                "sync it as full_refresh or add a primary key."
            )
        return StreamPlan(table, sync_mode, "_ab_cdc_lsn", table.primary_key)
    cursor = _first_path_elements([entry.get("cursor_field")]) if entry.get("cursor_field") else ()
    candidates = ", ".join(table.cursor_candidates) or "none"
    if not cursor:
        raise ConfigError(
            f"Stream {table.label} is incremental but has no cursor_field (usable columns: {candidates})."
        )
    cursor_column = table.column(cursor[0])
    if cursor_column is None or not cursor_column.cursor_capable:
        raise ConfigError(
            f"Cursor field '{cursor[0]}' of stream {table.label} is not a column usable as a cursor "
            f"(usable columns: {candidates})."
        )
    return StreamPlan(table, sync_mode, cursor[0], primary_key)


def plan_streams(catalog: Mapping[str, Any], tables: Sequence[Table], *, cdc: bool) -> list[StreamPlan]:
    """One plan per configured stream; a stream the database does not have is a config error, not a silent skip."""
    by_key = {(t.namespace, t.name): t for t in tables}
    plans = []
    for entry in catalog.get("streams") or []:
        stream = entry.get("stream") or {}
        key = (stream.get("namespace") or "public", stream.get("name", ""))
        table = by_key.get(key)
        if table is None:
            known = ", ".join(sorted(f"{t.namespace}.{t.name}" for t in tables)) or "none"
            raise ConfigError(
                f"Stream {key[0]}.{key[1]} of the configured catalog is not a readable table or view "
                f"in the configured schemas (available: {known})."
            )
        plans.append(_plan(entry, table, cdc=cdc))
    return plans
