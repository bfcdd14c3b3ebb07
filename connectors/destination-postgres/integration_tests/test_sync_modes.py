"""Sync modes over two syncs: append, overwrite, append_dedup (cursor, in-batch duplicates, CDC deletes, ignore)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres


def users(h: Any, *rows: tuple[int, str, str]) -> list[dict[str, Any]]:
    return [h.record("users", {"id": i, "name": n, "updated_at": u}) for i, n, u in rows]


def names(dest: Any, table: str = "users") -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in dest.rows(table, order_by="id, name")]


def test_append_keeps_every_record_of_both_syncs(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "append"))
    first = dest.write(
        cat, [*users(h, (1, "a", "2024-01-01T00:00:00Z"), (2, "b", "2024-01-01T00:00:00Z")), h.state("users", {"c": 1})]
    )
    second = dest.write(cat, [*users(h, (1, "a2", "2024-01-02T00:00:00Z")), h.state("users", {"c": 2})])
    assert first.exit_code == second.exit_code == 0
    assert names(dest) == [(1, "a"), (1, "a2"), (2, "b")]
    assert [s["destinationStats"]["recordCount"] for s in first.states + second.states] == [2.0, 1.0]


def test_overwrite_replaces_the_table_each_sync(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "overwrite"))
    dest.write(cat, users(h, (1, "a", "2024-01-01T00:00:00Z"), (2, "b", "2024-01-01T00:00:00Z")))
    run = dest.write(cat, users(h, (3, "c", "2024-01-01T00:00:00Z")))
    assert run.exit_code == 0
    assert names(dest) == [(3, "c")]
    assert not [t for t in dest.tables() if t.startswith("_dy_")], "staging and shadow tables are dropped"


def test_overwrite_with_no_records_empties_the_table(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "overwrite"))
    dest.write(cat, users(h, (1, "a", "2024-01-01T00:00:00Z")))
    assert dest.write(cat, []).exit_code == 0
    assert names(dest) == []


def test_dedup_newest_cursor_wins_across_and_within_syncs(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "append_dedup"))
    dest.write(
        cat,
        [
            *users(h, (1, "a-old", "2024-01-01T00:00:00Z"), (1, "a-new", "2024-01-03T00:00:00Z")),
            *users(h, (1, "a-middle", "2024-01-02T00:00:00Z"), (2, "b", "2024-01-01T00:00:00Z")),
            h.state("users", {"c": 1}),
        ],
    )
    assert names(dest) == [(1, "a-new"), (2, "b")]
    second = dest.write(
        cat,
        [
            *users(h, (1, "a-older", "2023-12-31T00:00:00Z")),  # older cursor than the row in the table
            *users(h, (2, "b-newer", "2024-01-05T00:00:00Z"), (2, "b-same-cursor-later", "2024-01-05T00:00:00Z")),
            *users(h, (3, "c", "2024-01-01T00:00:00Z")),
            h.state("users", {"c": 2}),
        ],
    )
    assert second.exit_code == 0
    assert names(dest) == [(1, "a-new"), (2, "b-same-cursor-later"), (3, "c")]


def test_dedup_without_cursor_keeps_the_latest_received(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", "append_dedup", cursor=[]))
    dest.write(cat, users(h, (1, "first", "2024-01-05T00:00:00Z"), (1, "second", "2024-01-01T00:00:00Z")))
    dest.write(cat, users(h, (1, "third", "2023-01-01T00:00:00Z")))
    assert names(dest) == [(1, "third")]


def test_dedup_composite_primary_key(dest: Any, helpers: Any) -> None:
    h = helpers
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "v": {"type": "integer"}},
    }
    cat = h.catalog(h.stream_entry("pairs", "append_dedup", schema=schema, primary_key=[["a"], ["b"]], cursor=["v"]))
    data = [{"a": 1, "b": "x", "v": 1}, {"a": 1, "b": "y", "v": 1}, {"a": 1, "b": "x", "v": 2}]
    dest.write(cat, [h.record("pairs", d) for d in data])
    assert [(r["a"], r["b"], r["v"]) for r in dest.rows("pairs", order_by="a, b")] == [(1, "x", 2), (1, "y", 1)]


def test_cdc_deletes_remove_rows_in_hard_delete_mode(dest: Any, helpers: Any) -> None:
    h = helpers
    schema = {
        "type": "object",
        "properties": {
            **h.SCHEMA["properties"],
            "_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time"},
        },
    }
    cat = h.catalog(h.stream_entry("users", "append_dedup", schema=schema))
    dest.write(
        cat,
        users(h, (1, "a", "2024-01-01T00:00:00Z"), (2, "b", "2024-01-01T00:00:00Z"), (3, "c", "2024-01-01T00:00:00Z")),
    )
    deleted = "2024-01-02T00:00:00Z"
    dest.write(
        cat,
        [
            h.record("users", {"id": 1, "name": "a", "updated_at": deleted, "_ab_cdc_deleted_at": deleted}),
            # deleted, then re-inserted within one batch: the newest record (an insert) wins
            h.record("users", {"id": 2, "name": "b", "updated_at": deleted, "_ab_cdc_deleted_at": deleted}),
            h.record("users", {"id": 2, "name": "b-again", "updated_at": "2024-01-03T00:00:00Z"}),
            # a delete for a key never seen leaves nothing behind
            h.record("users", {"id": 9, "name": "z", "updated_at": deleted, "_ab_cdc_deleted_at": deleted}),
        ],
    )
    assert names(dest) == [(2, "b-again"), (3, "c")]


def test_cdc_deletes_are_kept_in_soft_delete_mode(dest: Any, helpers: Any) -> None:
    h = helpers
    schema = {
        "type": "object",
        "properties": {
            **h.SCHEMA["properties"],
            "_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time"},
        },
    }
    dest.config["cdc_deletion_mode"] = "soft_delete"
    cat = h.catalog(h.stream_entry("users", "append_dedup", schema=schema))
    dest.write(cat, users(h, (1, "a", "2024-01-01T00:00:00Z")))
    deleted = "2024-01-02T00:00:00Z"
    dest.write(cat, [h.record("users", {"id": 1, "name": "a", "updated_at": deleted, "_ab_cdc_deleted_at": deleted})])
    rows = dest.rows("users")
    assert [(r["id"], r["_ab_cdc_deleted_at"].isoformat()) for r in rows] == [(1, "2024-01-02T00:00:00+00:00")]


def test_unique_conflict_method_ignore_keeps_existing_rows(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.config["unique_conflict_method"] = "ignore"
    cat = h.catalog(h.stream_entry("users", "append_dedup"))
    dest.write(cat, users(h, (1, "a", "2024-01-01T00:00:00Z"), (1, "a-newer-same-batch", "2024-01-02T00:00:00Z")))
    dest.write(cat, users(h, (1, "a-next-sync", "2024-02-01T00:00:00Z"), (2, "b", "2024-01-01T00:00:00Z")))
    # within a batch the newest still wins; against the table, the row already there is kept
    assert names(dest) == [(1, "a-newer-same-batch"), (2, "b")]


def test_namespaces_map_to_schemas_created_when_missing(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users", namespace="Sales-EU"), h.stream_entry("users"))
    run = dest.write(
        cat,
        [
            h.record("users", {"id": 1}, namespace="Sales-EU"),
            h.record("users", {"id": 2}),
        ],
    )
    assert run.exit_code == 0
    assert [r["id"] for r in dest.rows("users", schema="sales_eu")] == [1]
    assert [r["id"] for r in dest.rows("users")] == [2]


def test_default_schema_from_config(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.config["schema"] = "landing"
    dest.write(h.catalog(h.stream_entry("users")), [h.record("users", {"id": 1})])
    assert [r["id"] for r in dest.rows("users", schema="landing")] == [1]
    assert "_airbyte_destination_state" in dest.tables("landing")


def test_airbyte_columns(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.write(
        h.catalog(h.stream_entry("users", generation_id=7, sync_id=42)),
        [h.record("users", {"id": 1}, emitted_at=1_700_000_000_123)],
    )
    (row,) = dest.rows("users")
    assert row["_airbyte_extracted_at"].isoformat() == "2023-11-14T22:13:20.123000+00:00"
    assert row["_airbyte_meta"] == {"changes": [], "sync_id": 42}
    assert row["_airbyte_generation_id"] == 7
    assert len(str(row["_airbyte_raw_id"])) == 36
    assert list(dest.columns("users"))[:4] == [
        "_airbyte_raw_id",
        "_airbyte_extracted_at",
        "_airbyte_meta",
        "_airbyte_generation_id",
    ]


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_truncate_refresh_replaces_older_generations(dest: Any, helpers: Any, mode: str) -> None:
    h = helpers
    dest.write(
        h.catalog(h.stream_entry("users", mode, generation_id=1, sync_id=1)),
        users(h, (1, "gen1", "2024-01-01T00:00:00Z")),
    )
    # minimum_generation_id == generation_id: a truncate refresh, replacing the table atomically at the end
    run = dest.write(
        h.catalog(h.stream_entry("users", mode, generation_id=2, minimum_generation_id=2, sync_id=2)),
        users(h, (2, "gen2", "2024-01-01T00:00:00Z")),
    )
    assert run.exit_code == 0
    assert [(r["id"], r["_airbyte_generation_id"]) for r in dest.rows("users")] == [(2, 2)]


def test_minimum_generation_below_current_deletes_only_older_generations(dest: Any, helpers: Any) -> None:
    h = helpers
    for gen in (1, 2):
        dest.write(h.catalog(h.stream_entry("users", generation_id=gen, sync_id=gen)), [h.record("users", {"id": gen})])
    dest.write(
        h.catalog(h.stream_entry("users", generation_id=3, minimum_generation_id=2, sync_id=3)),
        [h.record("users", {"id": 3})],
    )
    assert [(r["id"], r["_airbyte_generation_id"]) for r in dest.rows("users")] == [(2, 2), (3, 3)]


def test_generation_zero_appends_keep_history(dest: Any, helpers: Any) -> None:
    h = helpers
    for gen in (1, 2):
        dest.write(h.catalog(h.stream_entry("users", generation_id=gen, sync_id=gen)), [h.record("users", {"id": gen})])
    assert [r["_airbyte_generation_id"] for r in dest.rows("users")] == [1, 2]


def test_records_of_streams_not_in_the_catalog_are_ignored(dest: Any, helpers: Any) -> None:
    h = helpers
    run = dest.write(h.catalog(h.stream_entry("users")), [h.record("users", {"id": 1}), h.record("ghosts", {"id": 2})])
    assert run.exit_code == 0
    assert "ghosts" not in dest.tables()
    assert any("ghosts" in line for line in run.logs)


def test_a_first_dedup_sync_builds_its_key_index_once_and_still_dedups_keys_that_come_back(
    dest: Any, helpers: Any
) -> None:
    """A table the sync creates gets its key index after its rows are in (cheaper than maintaining it per row);
    a key that comes back in a later commit of the same sync makes the index be built there, before the merge
    probes the table. Either way the newest record per key wins and one index exists at the end."""
    h = helpers
    cat = h.catalog(h.stream_entry("users", "append_dedup"))
    config = {**dest.config, "commit_every_records": 1}  # every state commits: key 1 returns in a later commit
    messages = [
        h.record("users", {"id": 1, "name": "a", "updated_at": "2024-01-01T00:00:00Z"}),
        h.record("users", {"id": 2, "name": "b", "updated_at": "2024-01-01T00:00:00Z"}),
        h.state("users", 1),
        h.record("users", {"id": 3, "name": "c", "updated_at": "2024-01-01T00:00:00Z"}),
        h.state("users", 2),
        h.record("users", {"id": 1, "name": "a2", "updated_at": "2024-02-01T00:00:00Z"}),
        h.record("users", {"id": 2, "name": "b-old", "updated_at": "2023-01-01T00:00:00Z"}),
        h.state("users", 3),
    ]
    run = dest.write(cat, messages, config)
    assert run.exit_code == 0, run.errors
    assert [(r["id"], r["name"]) for r in dest.rows("users")] == [(1, "a2"), (2, "b"), (3, "c")]
    indexes = dest.query("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")
    assert indexes == [("users_pk_idx", "users")]
    assert len(run.states) == 3, "every state was echoed after its commit"
