"""Identifiers: long names shortened with a stable hash, collisions, reserved words and case."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres

PREFIX = "a_really_long_stream_name_that_goes_on_and_on_past_the_postgres_limit_"


def test_long_stream_names_get_distinct_stable_tables(dest: Any, helpers: Any) -> None:
    h = helpers
    names = [PREFIX + "one", PREFIX + "two"]
    cat = h.catalog(*(h.stream_entry(n, "append_dedup") for n in names))
    for sync in (1, 2):
        messages = [h.record(n, {"id": sync, "name": n[-3:], "updated_at": "2024-01-01T00:00:00Z"}) for n in names]
        run = dest.write(cat, messages)
        assert run.exit_code == 0, run.errors
    tables = sorted(t for t in dest.tables() if t.startswith("a_really"))
    assert len(tables) == 2
    assert all(len(t.encode()) <= 63 for t in tables)
    for table in tables:
        rows = dest.rows(table)
        assert [r["id"] for r in rows] == [1, 2], "the second sync found the same tables"
        assert len({r["name"] for r in rows}) == 1
    indexes = [r[0] for r in dest.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")]
    assert len(indexes) == 2 and all(len(i.encode()) <= 63 for i in indexes)


def test_long_and_colliding_column_names(dest: Any, helpers: Any) -> None:
    h = helpers
    long_a, long_b = "x" * 70 + "_first", "x" * 70 + "_second"
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            long_a: {"type": "string"},
            long_b: {"type": "string"},
            "a-b": {"type": "string"},
            "a_b": {"type": "string"},
        },
    }
    cat = h.catalog(h.stream_entry("t", schema=schema))
    data = {"id": 1, long_a: "A", long_b: "B", "a-b": "dash", "a_b": "underscore"}
    for _ in (1, 2):
        assert dest.write(cat, [h.record("t", data)]).exit_code == 0
    columns = [c for c in dest.columns("t") if not c.startswith("_airbyte")]
    assert len(columns) == 5 and all(len(c.encode()) <= 63 for c in columns)
    rows = dest.rows("t")
    assert len(rows) == 2
    assert sorted(v for k, v in rows[0].items() if not k.startswith("_airbyte") and k != "id") == [
        "A",
        "B",
        "dash",
        "underscore",
    ]
    assert rows[0] == {
        **rows[1],
        "_airbyte_raw_id": rows[0]["_airbyte_raw_id"],
        "_airbyte_extracted_at": rows[0]["_airbyte_extracted_at"],
        "_airbyte_meta": rows[0]["_airbyte_meta"],
    }


def test_reserved_words_and_odd_characters(dest: Any, helpers: Any) -> None:
    h = helpers
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "user": {"type": "string"},
            "order": {"type": "integer"},
            "Group By": {"type": "string"},
            '"quoted"': {"type": "string"},
            "1st": {"type": "string"},
            "café": {"type": "string"},
        },
    }
    cat = h.catalog(h.stream_entry("select", "append_dedup", schema=schema, cursor=["order"]))
    data = {"id": 1, "user": "u", "order": 2, "Group By": "g", '"quoted"': "q", "1st": "f", "café": "c"}
    run = dest.write(cat, [h.record("select", data)])
    assert run.exit_code == 0, run.errors
    (row,) = dest.rows("select")
    assert {k: row[k] for k in ("user", "order", "group_by", "quoted", "_1st", "café")} == {
        "user": "u",
        "order": 2,
        "group_by": "g",
        "quoted": "q",
        "_1st": "f",
        "café": "c",
    }


def test_stream_names_differing_only_in_case_get_separate_tables(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("Users"), h.stream_entry("users"))
    for _ in (1, 2):
        run = dest.write(
            cat, [h.record("Users", {"id": 1}), h.record("users", {"id": 2}), h.record("users", {"id": 3})]
        )
        assert run.exit_code == 0, run.errors
    other = [t for t in dest.tables() if t.startswith("users_")]
    assert len(other) == 1
    assert [r["id"] for r in dest.rows("users")] == [2, 2, 3, 3]
    assert [r["id"] for r in dest.rows(other[0])] == [1, 1]


def test_overwrite_dedup_keeps_one_key_index_across_syncs(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "append_dedup", minimum_generation_id=1))
    for sync in (1, 2, 3):
        dest.write(cat, [h.record("users", {"id": sync, "updated_at": "2024-01-01T00:00:00Z"})])
        indexes = dest.query("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")
        assert indexes == [("users_pk_idx", "users")], f"sync {sync}"
