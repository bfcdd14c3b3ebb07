"""Decoded changes become records of the configured streams, with the CDC metadata columns."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from dockyard_runtime import protocol
from source_postgres.cdc.changes import ChangeRecords
from source_postgres.cdc.pgoutput import (
    UNCHANGED,
    Begin,
    Delete,
    Insert,
    Relation,
    RelationColumn,
    Truncate,
    Update,
)
from source_postgres.discovery import Table
from source_postgres.types import Column

USERS = Table(
    1,
    "public",
    "users",
    "r",
    (Column("id", "integer", "integer", False), Column("name", "text", "string"), Column("seen", "ts", "timestamp")),
    ("id",),
)
RELATION = Relation(
    5,
    "public",
    "users",
    "d",
    (RelationColumn("id", 23, True), RelationColumn("name", 25, False), RelationColumn("seen", 1114, False)),
)
WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def changes() -> Iterator[ChangeRecords]:
    protocol.set_output(io.BytesIO())
    records = ChangeRecords({("public", "users"): USERS})
    assert records.record(Begin(1, WHEN, 9), 1) is None
    assert records.record(RELATION, 1) is None
    yield records


def _data(produced: Any) -> dict[str, Any]:
    assert produced is not None
    _, data = produced
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def test_insert_update_delete(changes: ChangeRecords) -> None:
    inserted = _data(changes.record(Insert(5, ("1", "ann", "2024-01-01 10:00:00")), 100))
    assert inserted == {
        "id": 1,
        "name": "ann",
        "seen": "2024-01-01T10:00:00",
        "_ab_cdc_lsn": 100,
        "_ab_cdc_updated_at": "2024-01-01T00:00:00+00:00",
        "_ab_cdc_deleted_at": None,
    }
    deleted = _data(changes.record(Delete(5, ("1", None, None), key_only=True), 200))
    assert deleted["id"] == 1 and deleted["_ab_cdc_deleted_at"] == "2024-01-01T00:00:00+00:00"


def test_unchanged_toast_is_omitted_or_filled_from_the_full_old_row(changes: ChangeRecords) -> None:
    partial = _data(changes.record(Update(5, None, ("1", UNCHANGED, None)), 300))
    assert "name" not in partial and partial["seen"] is None
    filled = _data(changes.record(Update(5, ("1", "old big value", None), ("1", UNCHANGED, None)), 301))
    assert filled["name"] == "old big value"


def test_unselected_relations_and_truncates_produce_nothing(changes: ChangeRecords) -> None:
    other = Relation(6, "public", "other", "d", (RelationColumn("id", 23, True),))
    assert changes.record(other, 1) is None
    assert changes.record(Insert(6, ("1",)), 2) is None
    assert changes.record(Truncate((5, 6)), 3) is None
