"""Cursor incremental against a real database: ties across pages, checkpoints and syncs; no loss, no repeats."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

pytestmark = pytest.mark.postgres


def _state(stream: str, stream_state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream, "namespace": "public"}, "stream_state": stream_state},
        }
    ]


def test_rows_sharing_a_cursor_value_across_tiny_pages_are_neither_lost_nor_repeated(source: Any) -> None:
    # 50 rows, only 4 distinct cursor values: every page boundary (page size 3) falls inside a run of ties
    source.sql(
        "CREATE TABLE events (id int PRIMARY KEY, updated_at timestamp NOT NULL);"
        "INSERT INTO events SELECT g, '2024-01-01'::timestamp + ((g % 4) || ' hours')::interval"
        " FROM generate_series(1, 50) g"
    )
    source.config.update(page_size=3, batch_size=2, checkpoint_records=5)
    run = source.read(source.configured_catalog({"events": {"sync_mode": "incremental"}}))
    ids = [r["id"] for r in run.records("events")]
    assert Counter(ids) == Counter(range(1, 51))
    ordered = [(r["updated_at"], r["id"]) for r in run.records("events")]
    assert ordered == sorted(ordered)
    states = run.stream_states("events")
    assert len(states) >= 10  # at least every 5 records
    assert states[-1] == {
        "state_type": "cursor",
        "cursor_field": ["updated_at"],
        "cursor": "2024-01-01 03:00:00",
        "pk_columns": ["id"],
        "pk_values": ["47"],
    }


def test_resuming_from_every_checkpoint_reads_exactly_the_rest(source: Any) -> None:
    source.sql(
        "CREATE TABLE events (id int PRIMARY KEY, version int NOT NULL);"
        "INSERT INTO events SELECT g, g / 7 FROM generate_series(1, 40) g"
    )
    source.config.update(page_size=4, batch_size=3, checkpoint_records=3)
    catalog = source.configured_catalog({"events": {"sync_mode": "incremental", "cursor_field": ["version"]}})
    full = source.read(catalog)
    all_rows = [r["id"] for r in full.records("events")]
    assert sorted(all_rows) == list(range(1, 41))
    emitted = 0
    for state_message in full.states[:-1]:
        emitted += int(state_message["sourceStats"]["recordCount"])
        resumed = source.read(catalog, [state_message])
        assert resumed.exit_code == 0, resumed.messages
        assert [r["id"] for r in resumed.records("events")] == all_rows[emitted:], state_message


def test_next_sync_reads_only_new_and_updated_rows(source: Any) -> None:
    source.sql(
        "CREATE TABLE users (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);"
        "INSERT INTO users SELECT g, 'u' || g, '2024-01-01 00:00:00+00' FROM generate_series(1, 10) g"
    )
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental", "cursor_field": ["updated_at"]}})
    first = source.read(catalog)
    assert len(first.records("users")) == 10
    source.sql(
        "UPDATE users SET name = 'changed', updated_at = '2024-01-02 00:00:00+00' WHERE id = 3;"
        "INSERT INTO users VALUES (11, 'u11', '2024-01-02 00:00:00+00');"
    )
    second = source.read(catalog, first.next_state())
    assert [(r["id"], r["name"]) for r in second.records("users")] == [(3, "changed"), (11, "u11")]
    third = source.read(catalog, second.next_state())
    assert third.records("users") == []
    assert third.stream_states("users")[-1]["cursor"] == second.stream_states("users")[-1]["cursor"]


def test_rows_with_null_cursor_are_not_read(source: Any) -> None:
    source.sql("CREATE TABLE t (id int PRIMARY KEY, seq int);INSERT INTO t VALUES (1, 10), (2, NULL), (3, 5)")
    run = source.read(source.configured_catalog({"t": {"sync_mode": "incremental", "cursor_field": ["seq"]}}))
    assert [r["id"] for r in run.records("t")] == [3, 1]


def test_cursor_on_the_primary_key_itself(source: Any) -> None:
    source.sql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 9)")
    source.config.update(page_size=2)
    catalog = source.configured_catalog({"t": {"sync_mode": "incremental", "cursor_field": ["id"]}})
    run = source.read(catalog, _state("t", {"state_type": "cursor", "cursor_field": ["id"], "cursor": "4"}))
    assert [r["id"] for r in run.records("t")] == [5, 6, 7, 8, 9]
    assert run.stream_states("t")[-1]["pk_columns"] == []


def test_stream_without_primary_key_checkpoints_only_finished_cursor_values(source: Any) -> None:
    source.sql(
        "CREATE TABLE t (v int, note text);"
        "INSERT INTO t SELECT g / 5, 'n' || g FROM generate_series(0, 29) g"  # six values, five rows each
    )
    source.config.update(batch_size=3, checkpoint_records=3)
    catalog = source.configured_catalog({"t": {"sync_mode": "incremental", "cursor_field": ["v"]}})
    run = source.read(catalog)
    assert len(run.records("t")) == 30
    emitted = 0
    for state_message in run.states:
        emitted += int(state_message["sourceStats"]["recordCount"])
        cursor = int(state_message["stream"]["stream_state"]["cursor"])
        # every row with v <= cursor has been emitted before this state, and resuming reads exactly v > cursor
        assert emitted >= (cursor + 1) * 5
        resumed = source.read(catalog, [state_message])
        assert sorted(r["v"] for r in resumed.records("t")) == [v for v in range(cursor + 1, 6) for _ in range(5)]


def test_incremental_without_cursor_field_is_a_config_error(source: Any) -> None:
    source.sql("CREATE TABLE t (id int PRIMARY KEY, doc jsonb)")
    catalog = source.configured_catalog({"t": {"sync_mode": "incremental", "cursor_field": ["doc"]}})
    run = source.read(catalog)
    assert run.exit_code == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert "Cursor field 'doc'" in error["message"] and "usable columns: id" in error["message"]
