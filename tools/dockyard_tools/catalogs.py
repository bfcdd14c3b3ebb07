"""Building a configured catalog from a source's discovered catalog, as the platform would by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def configure_catalog(catalog: Mapping[str, Any], *, sync_id: int, streams: list[str] | None = None) -> dict[str, Any]:
    """Incremental + append_dedup where the stream supports it (cursor and primary key), else full refresh
    + overwrite; `streams` limits the selection."""
    configured = []
    for stream in catalog.get("streams", []):
        if streams and stream["name"] not in streams:
            continue
        modes = stream.get("supported_sync_modes") or ["full_refresh"]
        cursor = stream.get("default_cursor_field") or []
        primary_key = stream.get("source_defined_primary_key") or []
        incremental = "incremental" in modes and bool(cursor)
        entry: dict[str, Any] = {
            "stream": stream,
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": ("append_dedup" if primary_key else "append") if incremental else "overwrite",
            "cursor_field": cursor if incremental else [],
            "primary_key": primary_key,
            "generation_id": 0,
            "minimum_generation_id": 0,
            "sync_id": sync_id,
        }
        configured.append(entry)
    return {"streams": configured}
