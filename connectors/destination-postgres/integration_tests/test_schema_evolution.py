"""Schema evolution: new columns, widened types (BIGINT -> NUMERIC -> TEXT), and schema_change_policy=fail."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres

ID_ONLY = {"type": "object", "properties": {"id": {"type": "integer"}}}


def test_an_undeclared_field_adds_a_column(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("t", schema=ID_ONLY))
    dest.write(cat, [h.record("t", {"id": 1})])
    run = dest.write(cat, [h.record("t", {"id": 2, "extra": "x", "Nested": {"a": 1}})])
    assert run.exit_code == 0, run.errors
    columns = dest.columns("t")
    assert columns["extra"] == "text" and columns["nested"] == "jsonb"
    assert [(r["id"], r["extra"], r["nested"]) for r in dest.rows("t")] == [(1, None, None), (2, "x", {"a": 1})]
    assert any("add column extra" in line for line in run.logs)


def test_a_property_added_to_the_catalog_adds_a_column(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.write(h.catalog(h.stream_entry("t", schema=ID_ONLY)), [h.record("t", {"id": 1})])
    wider = {"type": "object", "properties": {"id": {"type": "integer"}, "at": {"type": "string", "format": "date"}}}
    run = dest.write(h.catalog(h.stream_entry("t", schema=wider)), [h.record("t", {"id": 2, "at": "2024-01-01"})])
    assert run.exit_code == 0
    assert dest.columns("t")["at"] == "date"
    assert any("add column at" in line for line in run.logs)


def test_inferred_column_widens_bigint_numeric_text_across_syncs(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("t", schema=ID_ONLY))
    seen = []
    for i, value in enumerate([1, 1.5, "abc"], 1):
        run = dest.write(cat, [h.record("t", {"id": i, "v": value})])
        assert run.exit_code == 0, run.errors
        seen.append(dest.columns("t")["v"])
    assert seen == ["bigint", "numeric", "text"]
    assert [r["v"] for r in dest.rows("t")] == ["1", "1.5", "abc"]


def test_declared_column_widens_when_the_catalog_widens(dest: Any, helpers: Any) -> None:
    h = helpers
    seen = []
    for i, kind in enumerate(["integer", "number", "string"], 1):
        schema = {"type": "object", "properties": {"id": {"type": "integer"}, "v": {"type": kind}}}
        value: Any = {"integer": 7, "number": 7.25, "string": "seven"}[kind]
        run = dest.write(h.catalog(h.stream_entry("t", schema=schema)), [h.record("t", {"id": i, "v": value})])
        assert run.exit_code == 0, run.errors
        seen.append(dest.columns("t")["v"])
        if i > 1:
            assert any("widen column v" in line for line in run.logs)
    assert seen == ["bigint", "numeric", "text"]
    assert [r["v"] for r in dest.rows("t")] == ["7", "7.25", "seven"]


def test_declared_integer_column_widens_for_a_fraction_within_one_batch(dest: Any, helpers: Any) -> None:
    h = helpers
    schema = {"type": "object", "properties": {"id": {"type": "integer"}, "v": {"type": "integer"}}}
    run = dest.write(
        h.catalog(h.stream_entry("t", schema=schema)),
        [h.record("t", {"id": 1, "v": 2}), h.record("t", {"id": 2, "v": 2.5})],
    )
    assert run.exit_code == 0
    assert dest.columns("t")["v"] == "numeric"
    assert [float(r["v"]) for r in dest.rows("t")] == [2.0, 2.5]


def test_inferred_column_widens_within_one_batch(dest: Any, helpers: Any) -> None:
    h = helpers
    records = [h.record("t", {"id": i, "v": v}) for i, v in enumerate([1, 2.5, "x"], 1)]
    run = dest.write(h.catalog(h.stream_entry("t", schema=ID_ONLY)), records)
    assert run.exit_code == 0
    assert dest.columns("t")["v"] == "text"
    assert [r["v"] for r in dest.rows("t")] == ["1", "2.5", "x"]


def test_an_undeclared_field_keeps_its_column_in_later_syncs(dest: Any, helpers: Any) -> None:
    h = helpers
    cat = h.catalog(h.stream_entry("t", schema=ID_ONLY))
    for i in (1, 2):
        run = dest.write(cat, [h.record("t", {"id": i, "userName": f"u{i}"})])
        assert run.exit_code == 0, run.errors
    assert [c for c in dest.columns("t") if "user" in c] == ["username"]
    assert [r["username"] for r in dest.rows("t")] == ["u1", "u2"]


def test_columns_missing_from_the_catalog_are_kept(dest: Any, helpers: Any) -> None:
    h = helpers
    wide = {"type": "object", "properties": {"id": {"type": "integer"}, "old": {"type": "string"}}}
    dest.write(h.catalog(h.stream_entry("t", schema=wide)), [h.record("t", {"id": 1, "old": "x"})])
    run = dest.write(h.catalog(h.stream_entry("t", schema=ID_ONLY)), [h.record("t", {"id": 2})])
    assert run.exit_code == 0
    assert [(r["id"], r["old"]) for r in dest.rows("t")] == [(1, "x"), (2, None)]


def test_schema_change_policy_fail_stops_the_sync(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.config["schema_change_policy"] = "fail"
    cat = h.catalog(h.stream_entry("t", schema=ID_ONLY))
    assert dest.write(cat, [h.record("t", {"id": 1}), h.state("t", 1)]).exit_code == 0
    run = dest.write(cat, [h.record("t", {"id": 2, "surprise": True}), h.state("t", 2)])
    assert run.exit_code == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert "surprise" in error["message"] and "schema_change_policy" in error["message"]
    assert list(dest.columns("t")) == [
        "_airbyte_raw_id",
        "_airbyte_extracted_at",
        "_airbyte_meta",
        "_airbyte_generation_id",
        "id",
    ]
    assert [r["id"] for r in dest.rows("t")] == [1]
    assert run.states == []


def test_schema_change_policy_fail_also_refuses_a_widened_catalog(dest: Any, helpers: Any) -> None:
    h = helpers
    dest.config["schema_change_policy"] = "fail"
    dest.write(h.catalog(h.stream_entry("t", schema=ID_ONLY)), [h.record("t", {"id": 1})])
    wider = {"type": "object", "properties": {"id": {"type": "number"}}}
    run = dest.write(h.catalog(h.stream_entry("t", schema=wider)), [h.record("t", {"id": 1.5})])
    assert run.exit_code == 1 and "widen column id" in run.errors[0]["message"]
    assert dest.columns("t")["id"] == "bigint"
