"""Log-based CDC against a real cluster: snapshot, inserts/updates/deletes, slot handling and every failure mode."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard_tools.testing.postgres import start_cluster_or_skip

pytestmark = pytest.mark.postgres

CDC_FIELDS = ("_ab_cdc_lsn", "_ab_cdc_updated_at", "_ab_cdc_deleted_at")


def _enable_cdc(source: Any, tables: str = "users", *, create_slot: bool = True) -> str:
    slot = f"slot_{source.database}"
    source.sql(f"CREATE PUBLICATION dockyard_pub FOR TABLE {tables}")
    if create_slot:
        source.sql(f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    source.config["replication_method"] = {"method": "CDC", "replication_slot": slot, "publication": "dockyard_pub"}
    return slot


def _confirmed_lsn(source: Any, slot: str) -> int:
    text = source.sql(f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _shared(run: Any) -> dict[str, Any]:
    state: dict[str, Any] = run.states[-1]["global"]["shared_state"]
    return state


def _users(source: Any, rows: int = 3) -> None:
    source.sql(
        "CREATE TABLE users (id int PRIMARY KEY, name text, updated_at timestamptz DEFAULT now());"
        f"INSERT INTO users (id, name) SELECT g, 'u' || g FROM generate_series(1, {rows}) g"
    )


def test_discover_in_cdc_mode_offers_incremental_only_for_published_tables_with_keys(source: Any) -> None:
    _users(source)
    source.sql("CREATE TABLE other (id int PRIMARY KEY); CREATE TABLE nokey (v int)")
    _enable_cdc(source, "users, nokey")
    run = source.discover()
    users = run.stream("users")
    assert users["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert users["source_defined_cursor"] is True
    assert users["default_cursor_field"] == ["_ab_cdc_lsn"]
    assert set(users["json_schema"]["properties"]) >= set(CDC_FIELDS)
    assert run.stream("other")["supported_sync_modes"] == ["full_refresh"]
    assert run.stream("nokey")["supported_sync_modes"] == ["full_refresh"]


def test_snapshot_then_inserts_updates_and_deletes(source: Any) -> None:
    _users(source)
    slot = _enable_cdc(source)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    assert first.exit_code == 0, first.messages
    snapshot = first.records("users")
    assert [r["id"] for r in snapshot] == [1, 2, 3]
    assert all(r["_ab_cdc_deleted_at"] is None and r["_ab_cdc_lsn"] > 0 for r in snapshot)
    assert _shared(first)["state_type"] == "cdc"

    source.sql(
        "INSERT INTO users (id, name) VALUES (4, 'new');"
        "UPDATE users SET name = 'renamed' WHERE id = 2;"
        "DELETE FROM users WHERE id = 1;"
    )
    slot_before = _confirmed_lsn(source, slot)
    second = source.read(catalog, first.next_state())
    assert second.exit_code == 0, second.messages
    changes = second.records("users")
    assert [(r["id"], r["name"]) for r in changes] == [(4, "new"), (2, "renamed"), (1, None)]
    assert changes[0]["_ab_cdc_deleted_at"] is None and changes[1]["_ab_cdc_deleted_at"] is None
    assert changes[2]["_ab_cdc_deleted_at"] == changes[2]["_ab_cdc_updated_at"] is not None
    lsns = [r["_ab_cdc_lsn"] for r in changes]
    assert lsns == sorted(lsns) and lsns[0] > snapshot[0]["_ab_cdc_lsn"]
    assert _shared(second)["lsn"] >= lsns[-1]
    # the read advanced the slot only to the state it was given (what the last sync committed), never past it
    assert _confirmed_lsn(source, slot) == max(slot_before, _shared(first)["lsn"])

    third = source.read(catalog, second.next_state())
    assert third.exit_code == 0
    assert third.records("users") == []
    assert _confirmed_lsn(source, slot) == _shared(second)["lsn"]


def test_a_failed_load_rereads_the_same_changes_from_the_older_state(source: Any) -> None:
    _users(source, rows=1)
    _enable_cdc(source)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    source.sql("INSERT INTO users (id, name) VALUES (2, 'two'), (3, 'three')")
    second = source.read(catalog, first.next_state())
    # the destination never committed `second`'s state, so the platform sends `first`'s again
    retried = source.read(catalog, first.next_state())
    assert [r["id"] for r in retried.records("users")] == [r["id"] for r in second.records("users")] == [2, 3]


def test_resuming_from_a_mid_stream_checkpoint_reads_exactly_the_remaining_changes(source: Any) -> None:
    _users(source, rows=0)
    _enable_cdc(source)
    source.config.update(checkpoint_records=2)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    for i in range(1, 11):
        source.sql(f"INSERT INTO users (id, name) VALUES ({i}, 'n{i}')")  # ten transactions
    second = source.read(catalog, first.next_state())
    assert [r["id"] for r in second.records("users")] == list(range(1, 11))
    emitted = 0
    middle = None
    for state in second.states:
        emitted += int(state["sourceStats"]["recordCount"])
        if emitted == 4:
            middle = state
            break
    assert middle is not None
    resumed = source.read(catalog, [middle])
    assert [r["id"] for r in resumed.records("users")] == list(range(5, 11))


def test_snapshot_and_log_render_every_type_identically(source: Any) -> None:
    source.sql(
        "CREATE TYPE mood AS ENUM ('sad', 'happy');"
        "CREATE TABLE t (id int PRIMARY KEY, i8 bigint, n numeric(30, 10), nan numeric, f real, d double precision,"
        " b boolean, s text, vc varchar(5), ch char(3), u uuid, dt date, tm time, tz timetz, ts timestamp,"
        " tstz timestamptz, tstz2 timestamptz, iv interval, j json, jb jsonb, ai int[], at text[], tsa timestamptz[],"
        " e mood, ea mood[], by bytea, m money, ip inet, pt point, inf timestamp, nested int[][], bya bytea[]);"
    )
    _enable_cdc(source, "t")
    source.sql(
        r"""SET TimeZone = 'Asia/Kolkata'; INSERT INTO t VALUES (1, -9007199254740993, 12345678901234567890.0123456789,
        'NaN', 3.14159, -1.5e300, false, E'multi\nline "quoted" \\ tab\t', 'abc', 'x', gen_random_uuid(),
        '2024-02-29', '23:59:59.999999', '10:00:00-03:30', '2000-01-01 00:00:00', '2024-06-30 18:30:00+02',
        '2024-01-01 00:00:00.123+00', '-1 days 02:03:04.5', '[1, {"a": "b"}]', '{"z": 1, "a": [true, null]}',
        '{1,NULL,-3}', '{"with space","comma,inside","quote\"inside",NULL,"NULL"}',
        '{"2024-01-01 00:00:00+00","2024-01-01 12:00:00+05:45"}', 'sad', '{happy,sad}', '\x00ff10', -12.5,
        '192.168.0.1', '(1.5,-2)', 'infinity', '{{1,2},{3,NULL}}', '{"\\x0102",NULL}')"""
    )
    catalog = source.configured_catalog({"t": {"sync_mode": "incremental"}})
    # the slot predates the insert, so the first sync has the row twice: from the snapshot and from the log
    run = source.read(catalog)
    assert run.exit_code == 0, run.messages
    snapshot, change = run.records("t")
    for record in (snapshot, change):
        for field in CDC_FIELDS:
            record.pop(field)
    assert change == snapshot
    assert snapshot["tstz"] == "2024-06-30T16:30:00+00:00"
    assert snapshot["at"] == ["with space", "comma,inside", 'quote"inside', None, "NULL"]


def test_full_refresh_streams_ride_along_in_the_global_state(source: Any) -> None:
    _users(source, rows=2)
    source.sql("CREATE TABLE plain (v int); INSERT INTO plain VALUES (1), (2), (3)")
    _enable_cdc(source)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}, "plain": {}})
    run = source.read(catalog)
    assert run.exit_code == 0, run.messages
    assert sorted(r["v"] for r in run.records("plain")) == [1, 2, 3]
    assert all(s["type"] == "GLOBAL" for s in run.states)
    final = run.states[-1]["global"]["stream_states"]
    assert {s["stream_descriptor"]["name"] for s in final} == {"users", "plain"}


def test_truncate_is_logged_not_emitted(source: Any) -> None:
    _users(source, rows=2)
    _enable_cdc(source)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    source.sql("TRUNCATE users")
    second = source.read(catalog, first.next_state())
    assert second.records("users") == []
    logs = [m["log"]["message"] for m in second.of_type("LOG")]
    assert any("truncated" in message for message in logs)


def test_while_reading_advances_the_slot_at_the_end_of_the_read(source: Any) -> None:
    _users(source, rows=1)
    slot = _enable_cdc(source)
    source.config["replication_method"]["lsn_commit_behaviour"] = "while_reading"
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    source.sql("INSERT INTO users (id, name) VALUES (2, 'two')")
    second = source.read(catalog, first.next_state())
    assert [r["id"] for r in second.records("users")] == [2]
    assert _confirmed_lsn(source, slot) == _shared(second)["lsn"]


def _lose_the_saved_lsn(source: Any, slot: str) -> list[dict[str, Any]]:
    """A first sync's state, then changes the slot moves past (as if another consumer had read them)."""
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    first = source.read(catalog)
    source.sql("SET synchronous_commit = on; INSERT INTO users (id, name) VALUES (100, 'lost')")  # flushed now
    source.sql(f"SELECT pg_replication_slot_advance('{slot}', pg_current_wal_lsn())")
    state: list[dict[str, Any]] = first.next_state()
    return state


def test_lost_lsn_fails_by_default_with_the_fix(source: Any) -> None:
    _users(source)
    slot = _enable_cdc(source)
    state = _lose_the_saved_lsn(source, slot)
    run = source.read(source.configured_catalog({"users": {"sync_mode": "incremental"}}), state)
    assert run.exit_code == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert "no longer available" in error["message"] and "resnapshot" in error["message"]
    assert run.records() == []


def test_lost_lsn_resnapshots_when_configured(source: Any) -> None:
    _users(source)
    slot = _enable_cdc(source)
    source.config["replication_method"]["invalid_cursor_policy"] = "resnapshot"
    state = _lose_the_saved_lsn(source, slot)
    run = source.read(source.configured_catalog({"users": {"sync_mode": "incremental"}}), state)
    assert run.exit_code == 0, run.messages
    assert sorted(r["id"] for r in run.records("users")) == [1, 2, 3, 100]
    assert any("Re-snapshotting" in m["log"]["message"] for m in run.of_type("LOG"))


def test_missing_slot_is_a_config_error_naming_the_sql(source: Any) -> None:
    _users(source)
    _enable_cdc(source, create_slot=False)
    catalog: dict[str, Any] = {"streams": []}
    run = source.read(catalog)
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert "does not exist" in error["message"]
    assert "pg_create_logical_replication_slot" in error["message"] and "'pgoutput'" in error["message"]
    check = source.check().of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert check["status"] == "FAILED"
    assert check["message"].startswith("CDC check failed") and "pg_create_logical_replication_slot" in check["message"]


def test_slot_with_another_plugin_is_rejected(source: Any) -> None:
    _users(source)
    slot = _enable_cdc(source, create_slot=False)
    source.sql(f"SELECT pg_create_logical_replication_slot('{slot}', 'test_decoding')")
    status = source.check().of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "'test_decoding' plugin" in status["message"]


def test_missing_publication_is_a_config_error_naming_the_sql(source: Any) -> None:
    _users(source)
    slot = f"slot_{source.database}"
    source.sql(f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    source.config["replication_method"] = {"method": "CDC", "replication_slot": slot, "publication": "nope"}
    discovered = source.discover()
    (error,) = discovered.errors
    assert error["failure_type"] == "config_error"
    assert "Publication 'nope' does not exist" in error["message"] and "CREATE PUBLICATION" in error["message"]
    status = source.check().of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "CREATE PUBLICATION" in status["message"]


def test_stream_missing_from_the_publication_names_alter_publication(source: Any) -> None:
    _users(source)
    source.sql("CREATE TABLE extra (id int PRIMARY KEY)")
    _enable_cdc(source)
    catalog = source.configured_catalog({"users": {"sync_mode": "incremental"}})
    extra = dict(catalog["streams"][0], stream={**catalog["streams"][0]["stream"], "name": "extra"})
    run = source.read({"streams": [*catalog["streams"], extra]})
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert "ALTER PUBLICATION" in error["message"] and "public.extra" in error["message"]


def test_wal_level_below_logical_is_reported_with_the_fix() -> None:
    cluster = start_cluster_or_skip(settings={"wal_level": "replica", "max_wal_senders": "10"})
    try:
        import io
        import json
        import tempfile
        from pathlib import Path

        from dockyard_runtime import entrypoint, protocol

        config = {
            **cluster.config("postgres"),
            "replication_method": {"method": "CDC", "replication_slot": "s", "publication": "p"},
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.json"
            path.write_text(json.dumps(config))
            outputs = {}
            for command in ("check", "discover"):
                buffer = io.BytesIO()
                protocol.set_output(buffer)
                entrypoint.launch(
                    "source_postgres.source:SourcePostgres",
                    kind="source",
                    spec_package="source_postgres",
                    argv=[command, "--config", str(path)],
                )
                protocol.set_output(io.BytesIO())
                outputs[command] = [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        cluster.stop()
    status = next(m for m in outputs["check"] if m["type"] == "CONNECTION_STATUS")["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "wal_level=replica" in status["message"] and "ALTER SYSTEM SET wal_level = logical" in status["message"]
    error = next(m for m in outputs["discover"] if m["type"] == "TRACE")["trace"]["error"]
    assert error["failure_type"] == "config_error" and "wal_level" in error["message"]
