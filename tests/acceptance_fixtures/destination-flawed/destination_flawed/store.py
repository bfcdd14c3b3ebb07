"""Rows kept as JSON in one SQLite table; each flaw bends one rule of how a destination must store them."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

FLAW = os.environ.get("DOCKYARD_FLAW", "")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT, namespace TEXT, "
    "data TEXT, meta TEXT, generation INTEGER, raw_id TEXT, extracted_at INTEGER, run_id TEXT)"
)


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(SCHEMA)
    return connection


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _cursor(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (0, Decimal(str(value)))
    return (1, str(value))


def _bend(data: dict[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the storage flaws to one record's data."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if FLAW == "drops_new_fields" and key not in declared:
            continue
        if FLAW == "name_collision":
            key = key[:63]
        if FLAW == "strips_unicode" and isinstance(value, str):
            value = value.encode("ascii", "ignore").decode()
        if FLAW == "empty_string_as_null" and value == "":
            value = None
        out[key] = value
    return out


class Store:
    def __init__(self, path: str, streams: Mapping[Any, Any]) -> None:
        self.connection = connect(path)
        self.streams = streams
        self.run_id = uuid.uuid4().hex
        if FLAW == "truncates_early":
            self._truncate()

    def commit(self, staged: list[tuple[Any, dict[str, Any], int]]) -> None:
        c = self.connection
        c.execute("BEGIN")
        for key, data, emitted_at in staged:
            config = self.streams[key]
            data = _bend(data, config.json_schema.get("properties") or {})
            dedup = config.sync_mode == "append_dedup" or (FLAW == "append_dedups" and config.sync_mode == "append")
            if dedup and not self._newest(config, data):
                continue
            c.execute(
                "INSERT INTO rows (stream, namespace, data, meta, generation, raw_id, extracted_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    config.name,
                    config.namespace,
                    _dumps(data),
                    _dumps({"changes": [], "sync_id": config.sync_id}),
                    config.generation_id,
                    uuid.uuid4().hex,
                    emitted_at,
                    self.run_id,
                ),
            )
        c.execute("COMMIT")

    def _newest(self, config: Any, data: dict[str, Any]) -> bool:
        """Dedup: drop stored rows of this key that `data` supersedes; False when a stored row is newer."""
        key = [data.get(path[0]) for path in config.primary_key]
        cursor = config.cursor_field[0] if config.cursor_field else None
        for seq, text in self.connection.execute(
            "SELECT seq, data FROM rows WHERE stream = ? AND namespace IS ?", (config.name, config.namespace)
        ).fetchall():
            stored = json.loads(text)
            if [stored.get(path[0]) for path in config.primary_key] != key:
                continue
            newer = cursor is None or _cursor(data.get(cursor)) >= _cursor(stored.get(cursor))
            if not newer and FLAW != "dedup_by_arrival":
                return False
            self.connection.execute("DELETE FROM rows WHERE seq = ?", (seq,))
        return True

    def _truncate(self) -> None:
        for config in self.streams.values():
            where = "stream = ? AND namespace IS ?"
            if config.sync_mode == "overwrite" and FLAW != "overwrite_appends":
                self.connection.execute(
                    f"DELETE FROM rows WHERE {where} AND run_id != ?", (config.name, config.namespace, self.run_id)
                )
            if config.minimum_generation_id > 0 and FLAW != "ignores_generations":
                self.connection.execute(
                    f"DELETE FROM rows WHERE {where} AND generation < ?",
                    (config.name, config.namespace, config.minimum_generation_id),
                )

    def finish(self) -> None:
        """Older data goes only once the sync has succeeded."""
        if FLAW != "truncates_early":
            self._truncate()
        self.connection.close()
