"""Full refresh against a real database: every value, batches, checkpoints, and resuming mid-table."""

from __future__ import annotations

import base64
from typing import Any

import pytest

pytestmark = pytest.mark.postgres


def test_full_refresh_reads_every_row_with_exact_values(source: Any) -> None:
    source.sql(
        "CREATE TYPE mood AS ENUM ('sad', 'happy');"
        "CREATE TABLE t (id int PRIMARY KEY, big bigint, amount numeric(20, 6), ratio double precision, flag boolean,"
        " name text, at_local timestamp, at_utc timestamptz, day date, span interval, doc jsonb, tags text[],"
        " m mood, blob bytea, price money, missing text, ids int[][]);"
        r"""INSERT INTO t VALUES (1, 9007199254740993, 12345678901234.123456, 0.1, true, 'naïve "q" \ back',"""
        r""" '2024-02-29 23:59:59.999999', '2024-01-01 12:00:00+05:30', '1999-12-31',"""
        r""" '1 year 2 mons 3 days 04:05:06',"""
        r""" '{"k": [1, "two"]}', '{"a,b",NULL,"c\"d"}', 'happy', '\xdeadbeef', 1234.5, NULL, '{{1,2},{3,4}}');"""
    )
    catalog = source.configured_catalog({"t": {}})
    run = source.read(catalog)
    assert run.exit_code == 0, run.messages
    (record,) = run.records("t")
    assert record == {
        "id": 1,
        "big": 9007199254740993,
        "amount": 12345678901234.123456,
        "ratio": 0.1,
        "flag": True,
        "name": 'naïve "q" \\ back',
        "at_local": "2024-02-29T23:59:59.999999",
        "at_utc": "2024-01-01T06:30:00+00:00",
        "day": "1999-12-31",
        "span": "P1Y2M3DT4H5M6S",
        "doc": '{"k": [1, "two"]}',
        "tags": ["a,b", None, 'c"d'],
        "m": "happy",
        "blob": base64.b64encode(bytes.fromhex("deadbeef")).decode(),
        "price": 1234.5,
        "missing": None,
        "ids": [[1, 2], [3, 4]],
    }
    # numeric precision survives: the raw JSON carries every digit, not a float rounding of it
    assert b'"amount":12345678901234.123456' in run.raw
    assert b'"big":9007199254740993' in run.raw


def test_full_refresh_in_small_batches_checkpoints_and_completes(source: Any) -> None:
    source.sql(
        "CREATE TABLE items (id int PRIMARY KEY, v text);"
        "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 25) g"
    )
    source.config.update(batch_size=4, checkpoint_records=10)
    run = source.read(source.configured_catalog({"items": {}}))
    assert [r["id"] for r in run.records("items")] == list(range(1, 26))
    states = run.stream_states("items")
    # fetches are capped at the checkpoint interval, so a state comes at least every 10 records
    positions = [s["pk_values"] for s in states if not s.get("complete")]
    assert positions == [["8"], ["16"], ["24"]]
    assert states[-1] == {"state_type": "full_refresh", "complete": True}
    counts = [s["sourceStats"]["recordCount"] for s in run.states]
    assert sum(counts) == 25


def test_interrupted_full_refresh_resumes_after_the_saved_key(source: Any) -> None:
    source.sql(
        "CREATE TABLE items (id int PRIMARY KEY, v text);"
        "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 100) g"
    )
    catalog = source.configured_catalog({"items": {}})
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "items", "namespace": "public"},
                "stream_state": {"state_type": "full_refresh", "pk_columns": ["id"], "pk_values": ["57"]},
            },
        }
    ]
    run = source.read(catalog, state)
    assert [r["id"] for r in run.records("items")] == list(range(58, 101))


def test_resume_with_composite_text_key(source: Any) -> None:
    source.sql(
        "CREATE TABLE k (region text, n int, PRIMARY KEY (region, n));"
        "INSERT INTO k SELECT r, g FROM unnest(ARRAY['eu', 'us', 'ap']) r, generate_series(1, 3) g"
    )
    catalog = source.configured_catalog({"k": {}})
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "k", "namespace": "public"},
                "stream_state": {"state_type": "full_refresh", "pk_columns": ["region", "n"], "pk_values": ["eu", "2"]},
            },
        }
    ]
    rows = [(r["region"], r["n"]) for r in source.read(catalog, state).records("k")]
    assert rows == [("eu", 3), ("us", 1), ("us", 2), ("us", 3)]


def test_completed_full_refresh_state_starts_over(source: Any) -> None:
    source.sql("CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 5)")
    catalog = source.configured_catalog({"items": {}})
    first = source.read(catalog)
    second = source.read(catalog, first.next_state())
    assert [r["id"] for r in second.records("items")] == [1, 2, 3, 4, 5]


def test_table_without_primary_key_and_view_are_read_whole(source: Any) -> None:
    source.sql(
        "CREATE TABLE logs (msg text); INSERT INTO logs SELECT 'm' || g FROM generate_series(1, 7) g;"
        "CREATE VIEW short_logs AS SELECT msg FROM logs WHERE length(msg) = 2"
    )
    source.config.update(batch_size=2, checkpoint_records=2)
    run = source.read(source.configured_catalog({"logs": {}, "short_logs": {}}))
    assert sorted(r["msg"] for r in run.records("logs")) == sorted(f"m{g}" for g in range(1, 8))
    assert len(run.records("short_logs")) == 7
    # nothing to resume from, so the only state is the completion
    assert run.stream_states("logs") == [{"state_type": "full_refresh", "complete": True}]


def test_identifiers_with_quotes_and_percent_signs(source: Any) -> None:
    source.sql(
        'CREATE TABLE "Odd ""Name"" %s" ("Id%" int PRIMARY KEY, "r" text);'
        'INSERT INTO "Odd ""Name"" %s" VALUES (1, \'x\')'
    )
    run = source.read(source.configured_catalog({'Odd "Name" %s': {}}))
    assert run.exit_code == 0, run.messages
    assert run.records() == [{"Id%": 1, "r": "x"}]
