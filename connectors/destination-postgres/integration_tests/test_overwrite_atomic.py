"""Overwrite is atomic: a failed sync leaves the previous table as it was; a retried attempt resumes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres


def ids(dest: Any, table: str = "users") -> list[int]:
    return [r["id"] for r in dest.rows(table)]


def numbered(h: Any, first: int, last: int) -> list[dict[str, Any]]:
    """Records first..last, each followed by a state (a resumable full refresh checkpointing every record)."""
    messages = []
    for i in range(first, last + 1):
        messages += [h.record("users", {"id": i}), h.state("users", {"after": i})]
    return messages


FAILING = {"id": 99, "surprise": "a field schema_change_policy=fail refuses"}


def test_a_failed_overwrite_leaves_the_old_table_intact(dest: Any, helpers: Any) -> None:
    h = helpers
    assert dest.write(h.catalog(h.stream_entry("users", "overwrite", sync_id=1)), numbered(h, 1, 3)).exit_code == 0
    config = {**dest.config, "schema_change_policy": "fail", "commit_every_records": 1}
    failed = dest.write(
        h.catalog(h.stream_entry("users", "overwrite", sync_id=2)),
        [*numbered(h, 10, 14), h.record("users", FAILING)],
        config,
    )
    assert failed.exit_code == 1
    assert len(failed.states) == 5, "records were committed (to the shadow table) before the failure"
    assert ids(dest) == [1, 2, 3]
    # A later sync (not a retry) starts from an empty shadow table: nothing of the failed sync leaks in.
    assert dest.write(h.catalog(h.stream_entry("users", "overwrite", sync_id=3)), numbered(h, 20, 21)).exit_code == 0
    assert ids(dest) == [20, 21]


def test_a_retried_attempt_resumes_the_same_shadow_table(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.write(h.catalog(h.stream_entry("users", "overwrite", sync_id=1)), numbered(h, 1, 3))
    cat = h.catalog(h.stream_entry("users", "overwrite", sync_id=2))
    config = {**dest.config, "schema_change_policy": "fail", "commit_every_records": 1}
    failed = dest.write(cat, [*numbered(h, 10, 14), h.record("users", FAILING)], config)
    assert failed.states[-1]["stream"]["stream_state"] == {"after": 14}
    # Attempt 2 of the same sync: the source resumes after the last state it got back.
    retried = dest.write(cat, numbered(h, 15, 16))
    assert retried.exit_code == 0, retried.errors
    assert ids(dest) == [10, 11, 12, 13, 14, 15, 16]


def test_a_truncate_refresh_that_fails_keeps_older_generations(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.write(
        h.catalog(h.stream_entry("users", "append_dedup", generation_id=1, sync_id=1)),
        [h.record("users", {"id": 1, "updated_at": "2024-01-01T00:00:00Z"})],
    )
    config = {**dest.config, "schema_change_policy": "fail", "commit_every_records": 1}
    cat = h.catalog(h.stream_entry("users", "append_dedup", generation_id=2, minimum_generation_id=2, sync_id=2))
    failed = dest.write(cat, [*numbered(h, 5, 6), h.record("users", FAILING)], config)
    assert failed.exit_code == 1
    assert [(r["id"], r["_airbyte_generation_id"]) for r in dest.rows("users")] == [(1, 1)]


def test_a_commit_the_server_refuses_fails_the_sync_without_echoing_its_states(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("users"))
    dest.write(cat, numbered(h, 1, 1))
    dest.query("ALTER TABLE users ADD CONSTRAINT small_ids CHECK (id < 100)")
    config = {**dest.config, "commit_every_records": 1}
    run = dest.write(
        cat, [*numbered(h, 2, 3), h.record("users", {"id": 500}), h.state("users", {"after": 500})], config
    )
    assert run.exit_code == 1
    assert "small_ids" in run.errors[0]["message"]
    assert [s["stream"]["stream_state"] for s in run.states] == [{"after": 2}, {"after": 3}]
    assert ids(dest) == [1, 2, 3]
