"""JSON-schema types to PostgreSQL columns, value round trips, and values that cannot be cast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

pytestmark = pytest.mark.postgres

ALL_TYPES = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "amount": {"type": ["null", "number"]},
        "flag": {"type": "boolean"},
        "label": {"type": "string"},
        "at_tz": {"type": "string", "format": "date-time"},
        "at_local": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
        "day": {"type": "string", "format": "date"},
        "clock": {"type": "string", "format": "time"},
        "clock_tz": {"type": "string", "format": "time", "airbyte_type": "time_with_timezone"},
        "doc": {"type": "object"},
        "list": {"type": "array"},
        "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "mixed": {"type": ["string", "integer"]},
    },
}
EXPECTED_TYPES = {
    "id": "bigint",
    "amount": "numeric",
    "flag": "boolean",
    "label": "text",
    "at_tz": "timestamp with time zone",
    "at_local": "timestamp without time zone",
    "day": "date",
    "clock": "time without time zone",
    "clock_tz": "time with time zone",
    "doc": "jsonb",
    "list": "jsonb",
    "either": "jsonb",
    "mixed": "jsonb",
}
GOOD = {
    "id": 1,
    "amount": 12345678901234.123456789,
    "flag": True,
    "label": 'héllo, "world"\nnew line',
    "at_tz": "2024-03-01T12:30:45.123456+02:00",
    "at_local": "2024-03-01T12:30:45",
    "day": "2024-02-29",
    "clock": "23:59:59.5",
    "clock_tz": "10:00:00+01:00",
    "doc": {"a": [1, {"b": None}], "c": "x"},
    "list": [1, "two", 3.5],
    "either": "text",
    "mixed": 7,
}


def test_column_types_follow_the_json_schema(dest: Any, helpers: Any) -> None:
    h = helpers
    run = dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", GOOD)])
    assert run.exit_code == 0, run.errors
    columns = dest.columns("t")
    assert {k: v for k, v in columns.items() if not k.startswith("_airbyte")} == EXPECTED_TYPES
    assert columns["_airbyte_meta"] == "jsonb" and columns["_airbyte_raw_id"] == "uuid"


def test_number_type_double(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.config["number_type"] = "double"
    dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", {"id": 1, "amount": 0.1})])
    assert dest.columns("t")["amount"] == "double precision"
    assert dest.rows("t")[0]["amount"] == 0.1


def test_values_round_trip(dest: Any, helpers: Any) -> None:
    h = helpers
    run = dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", GOOD)])
    assert run.exit_code == 0
    row = dest.rows("t")[0]
    assert float(row["amount"]) == GOOD["amount"]
    assert row["flag"] is True and row["label"] == GOOD["label"]
    assert row["at_tz"] == dt.datetime(2024, 3, 1, 10, 30, 45, 123456, tzinfo=dt.timezone.utc)
    assert row["at_local"] == dt.datetime(2024, 3, 1, 12, 30, 45)
    assert row["day"] == dt.date(2024, 2, 29)
    assert row["clock"] == dt.time(23, 59, 59, 500000)
    assert row["clock_tz"].isoformat() == "10:00:00+01:00"
    assert row["doc"] == GOOD["doc"] and row["list"] == GOOD["list"]
    assert row["either"] == "text" and row["mixed"] == 7
    assert row["_airbyte_meta"]["changes"] == []


def test_exact_decimals_and_long_integers_survive(dest: Any, helpers: Any) -> None:
    h = helpers
    lines = (
        b'{"type":"RECORD","record":{"stream":"t","emitted_at":1,"data":{"id":1,'
        b'"amount":1234567890123456789.123456789012}}}\n'
        b'{"type":"RECORD","record":{"stream":"t","emitted_at":1,"data":{"id":2,"amount":0.1,'
        b'"doc":{"big":123456789012345678901234567890}}}}\n'
    )
    run = dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), lines)
    assert run.exit_code == 0, run.errors
    rows = dest.rows("t")
    assert rows[0]["amount"] == Decimal("1234567890123456789.123456789012")
    assert rows[1]["amount"] == Decimal("0.1")
    assert rows[1]["doc"] == {"big": 123456789012345678901234567890}


def test_values_that_cannot_be_cast_are_nulled_and_recorded(dest: Any, helpers: Any) -> None:
    h = helpers
    bad = {
        "id": 3,
        "amount": "lots",
        "flag": "yes",
        "at_tz": "yesterday",
        "at_local": 12,
        "day": "2024-02-30",
        "clock": "25:00:00",
        "label": "fine",
    }
    run = dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", bad), h.record("t", GOOD)])
    assert run.exit_code == 0, run.errors
    rows = dest.rows("t")
    failed = next(r for r in rows if r["id"] == 3)
    assert failed["label"] == "fine"
    for field in ("amount", "flag", "at_tz", "at_local", "day", "clock"):
        assert failed[field] is None, field
    changes = failed["_airbyte_meta"]["changes"]
    assert sorted(c["field"] for c in changes) == ["amount", "at_local", "at_tz", "clock", "day", "flag"]
    assert {(c["change"], c["reason"]) for c in changes} == {("NULLED", "DESTINATION_TYPECAST_ERROR")}
    assert next(r for r in rows if r["id"] == 1)["_airbyte_meta"]["changes"] == []


def test_strings_holding_numbers_cast_into_numeric_columns(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", {"id": "42", "amount": "1.50"})])
    (row,) = dest.rows("t")
    assert row["id"] == 42 and row["amount"] == Decimal("1.50")


def test_nul_bytes_are_stripped_and_recorded(dest: Any, helpers: Any) -> None:
    h = helpers
    data = {"id": 1, "label": "a\x00b", "doc": {"k\x00": "x\x00y", "n": 1}, "list": ["\x00"]}
    run = dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [h.record("t", data)])
    assert run.exit_code == 0, run.errors
    (row,) = dest.rows("t")
    assert row["label"] == "ab"
    assert row["doc"] == {"k": "xy", "n": 1} and row["list"] == [""]
    changes = row["_airbyte_meta"]["changes"]
    assert sorted(c["field"] for c in changes) == ["doc", "label", "list"]
    assert {c["change"] for c in changes} == {"TRUNCATED"}


def test_integers_beyond_bigint_widen_the_column_to_numeric(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("t", schema=ALL_TYPES))
    dest.write(cat, [h.record("t", {"id": 1})])
    assert dest.columns("t")["id"] == "bigint"
    run = dest.write(cat, [h.record("t", {"id": 2**70}), h.record("t", {"id": 5})])
    assert run.exit_code == 0, run.errors
    assert dest.columns("t")["id"] == "numeric"
    assert [r["id"] for r in dest.rows("t")] == [1, 5, 2**70]
    assert any("widen column id" in line for line in run.logs)


def test_upstream_changes_are_kept_in_meta(dest: Any, helpers: Any) -> None:
    h = helpers
    upstream = {"field": "label", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}
    message = h.record("t", {"id": 1, "label": "x", "flag": "nope"}, meta={"changes": [upstream]})
    dest.write(h.catalog(h.stream_entry("t", schema=ALL_TYPES)), [message])
    changes = dest.rows("t")[0]["_airbyte_meta"]["changes"]
    assert changes[0] == upstream
    assert changes[1] == {"field": "flag", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}
