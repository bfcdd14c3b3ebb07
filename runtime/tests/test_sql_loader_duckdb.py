"""The shared SQL loader end to end on a real engine: `DestinationDuckdb().write` into a tmp DuckDB file.

Every sync mode twice, failures mid-sync, generations, schema evolution, metadata columns, edge values and the
replay ledger. DuckDB is the reference engine here; destination-postgres runs the same loader.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from destination_duckdb.destination import DestinationDuckdb
from destination_duckdb.reader import read_table
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.sql.names import normalize

EMITTED = 1_700_000_000_123


@pytest.fixture
def config(tmp_path: Path, protocol_out: Any) -> dict[str, Any]:
    return {"destination_path": str(tmp_path / "dest.duckdb"), "schema": "main"}


def stream(
    name: str,
    properties: dict[str, Any] | None = None,
    *,
    mode: str = "append",
    pk: list[str] | None = None,
    cursor: str | None = None,
    generation: int = 0,
    minimum_generation: int = 0,
    sync_id: int | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "json_schema": {"type": "object", "properties": properties if properties is not None else PEOPLE},
    }
    if namespace:
        body["namespace"] = namespace
    entry: dict[str, Any] = {
        "stream": body,
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "generation_id": generation,
        "minimum_generation_id": minimum_generation,
    }
    if pk:
        entry["primary_key"] = [[k] for k in pk]
    if cursor:
        entry["cursor_field"] = [cursor]
    if sync_id is not None:
        entry["sync_id"] = sync_id
    return entry


PEOPLE = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "updated": {"type": ["null", "integer"]},
}


def rec(name: str, data: dict[str, Any], namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"stream": name, "emitted_at": EMITTED, "data": data, **extra}
    if namespace:
        record["namespace"] = namespace
    return {"type": "RECORD", "record": record}


def state(name: str, value: Any) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"v": value}}},
    }


def write(config: dict[str, Any], streams: list[dict[str, Any]], messages: Any) -> list[dict[str, Any]]:
    """One sync; returns the echoed states."""
    out = io.BytesIO()
    lines = (orjson.dumps(m) if isinstance(m, dict) else m for m in messages)
    DestinationDuckdb().write(config, {"streams": streams}, lines, out)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def failing(messages: list[dict[str, Any]], after: int) -> Iterator[dict[str, Any]]:
    """The input of a sync whose source dies after `after` messages."""
    for n, message in enumerate(messages):
        if n == after:
            raise RuntimeError("source crashed")
        yield message


def rows(config: dict[str, Any], name: str, namespace: str | None = None, order: str = "id") -> list[dict[str, Any]]:
    return sorted(read_table(config, name, namespace), key=lambda r: (r[order] is None, r[order]))


def data(config: dict[str, Any], name: str, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in columns) for r in rows(config, name, order=columns[0])]


def query(config: dict[str, Any], sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    connection = duckdb.connect(config["destination_path"])
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def column_types(config: dict[str, Any], table: str) -> dict[str, str]:
    sql = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position"
    return dict(query(config, sql, [table]))  # type: ignore[arg-type]


def tables(config: dict[str, Any]) -> list[str]:
    return sorted(r[0] for r in query(config, "SELECT table_name FROM information_schema.tables"))


def people(*items: tuple[int, str | None] | tuple[int, str | None, int]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        data_ = {"id": item[0], "name": item[1]}
        if len(item) > 2:
            data_["updated"] = item[2]
        out.append(rec("people", data_))
    return out


# -- sync modes --------------------------------------------------------------------------------------------------


def test_append_twice_keeps_both_syncs(config: dict[str, Any]) -> None:
    echoed = write(config, [stream("people")], [*people((1, "a"), (2, "b")), state("people", 1)])
    assert [s["state"]["destinationStats"]["recordCount"] for s in echoed] == [2.0]
    write(config, [stream("people")], people((3, "c"), (1, "a again")))
    assert data(config, "people", "id", "name") == [(1, "a"), (1, "a again"), (2, "b"), (3, "c")] or data(
        config, "people", "name", "id"
    ) == [("a", 1), ("a again", 1), ("b", 2), ("c", 3)]
    assert len(rows(config, "people")) == 4
    assert tables(config) == ["people"], "no staging or shadow table is left behind"


def test_airbyte_metadata_columns(config: dict[str, Any]) -> None:
    write(config, [stream("people", generation=3, sync_id=77)], people((1, "a"), (2, "b")))
    result = rows(config, "people")
    assert list(result[0])[:4] == [
        "_airbyte_raw_id",
        "_airbyte_extracted_at",
        "_airbyte_meta",
        "_airbyte_generation_id",
    ]
    assert len({r["_airbyte_raw_id"] for r in result}) == 2
    assert all(r["_airbyte_raw_id"].version == 4 for r in result)
    expected_at = dt.datetime.fromtimestamp(EMITTED / 1000, tz=dt.timezone.utc)
    assert {r["_airbyte_extracted_at"] for r in result} == {expected_at}
    assert [json.loads(r["_airbyte_meta"]) for r in result] == [{"changes": [], "sync_id": 77}] * 2
    assert {r["_airbyte_generation_id"] for r in result} == {3}
    assert column_types(config, "people") == {
        "_airbyte_raw_id": "UUID",
        "_airbyte_extracted_at": "TIMESTAMP WITH TIME ZONE",
        "_airbyte_meta": "JSON",
        "_airbyte_generation_id": "BIGINT",
        "id": "BIGINT",
        "name": "VARCHAR",
        "updated": "BIGINT",
    }


def test_meta_records_typecast_failures_and_upstream_changes(config: dict[str, Any]) -> None:
    upstream = {"changes": [{"field": "bio", "change": "TRUNCATED", "reason": "SOURCE_RECORD_SIZE_LIMITATION"}]}
    write(
        config,
        [stream("people", sync_id=5)],
        [rec("people", {"id": 1, "updated": "soon"}, meta=upstream), rec("people", {"id": 2, "updated": 7})],
    )
    first, second = rows(config, "people")
    assert first["updated"] is None
    assert json.loads(first["_airbyte_meta"]) == {
        "changes": [
            *upstream["changes"],
            {"field": "updated", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"},
        ],
        "sync_id": 5,
    }
    assert json.loads(second["_airbyte_meta"]) == {"changes": [], "sync_id": 5}


def test_overwrite_twice_replaces(config: dict[str, Any]) -> None:
    write(config, [stream("people", mode="overwrite")], people((1, "a"), (2, "b")))
    write(config, [stream("people", mode="overwrite")], people((3, "c")))
    assert data(config, "people", "id", "name") == [(3, "c")]
    assert tables(config) == ["people"]


def test_overwrite_with_no_records_empties_the_table(config: dict[str, Any]) -> None:
    write(config, [stream("people", mode="overwrite")], people((1, "a")))
    write(config, [stream("people", mode="overwrite")], [])
    assert rows(config, "people") == []


def test_failed_overwrite_leaves_the_previous_table_intact(config: dict[str, Any]) -> None:
    write(config, [stream("people", mode="overwrite")], people((1, "a"), (2, "b")))
    second = [*people((3, "c")), state("people", 1), *people((4, "d"))]
    with pytest.raises(RuntimeError, match="source crashed"):
        write(config, [stream("people", mode="overwrite")], failing(second, after=2))
    assert data(config, "people", "id", "name") == [(1, "a"), (2, "b")]
    write(config, [stream("people", mode="overwrite")], people((5, "e")))
    assert data(config, "people", "id", "name") == [(5, "e")]
    assert tables(config) == ["people"]


def test_failing_loader_mid_sync_leaves_the_previous_table_intact(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second sync's first load is committed into the shadow table before its second load fails: the final
    table must still be the first sync's."""
    from destination_duckdb.client import DuckdbClient

    write(config, [stream("people", mode="overwrite")], people((1, "a")))
    calls: list[str] = []

    def flaky(name: str) -> Any:
        original = getattr(DuckdbClient, name)

        def load(self: DuckdbClient, *args: Any) -> None:
            calls.append(name)
            if len(calls) == 2:
                raise duckdb.IOException("disk full")
            original(self, *args)

        return load

    # batches reach the engine as TSV or as CSV, depending on their values: fail the second load either way
    for name in ("copy_tsv", "copy_csv"):
        monkeypatch.setattr(DuckdbClient, name, flaky(name))
    # one record per load, and the state commits the first record into the shadow table before the second load
    settings = {**config, "batch_size_records": 1, "commit_every_records": 1}
    with pytest.raises(duckdb.IOException, match="disk full"):
        write(
            settings, [stream("people", mode="overwrite")], [*people((2, "b")), state("people", 1), *people((3, "c"))]
        )
    assert len(calls) == 2, "the sync did not fail at its second load"
    assert query(config, 'SELECT id, name FROM "main"."_dy_shadow_people"') == [(2, "b")], (
        "the first load was not committed before the failure: the failure was not mid-sync"
    )
    assert data(config, "people", "id", "name") == [(1, "a")]


def test_append_dedup_twice_newest_cursor_wins_and_ties_go_to_the_latest(config: dict[str, Any]) -> None:
    catalog = [stream("people", mode="append_dedup", pk=["id"], cursor="updated")]
    write(config, catalog, people((1, "v3", 3), (1, "v5", 5), (1, "v4", 4), (2, "first", 7), (2, "second", 7)))
    assert data(config, "people", "id", "name", "updated") == [(1, "v5", 5), (2, "second", 7)]
    write(config, catalog, people((1, "older", 2), (2, "newer", 8), (3, "new", 1), (1, "same", 5)))
    assert data(config, "people", "id", "name", "updated") == [(1, "same", 5), (2, "newer", 8), (3, "new", 1)]


def test_append_dedup_null_cursor_never_beats_a_real_one(config: dict[str, Any]) -> None:
    catalog = [stream("people", mode="append_dedup", pk=["id"], cursor="updated")]
    write(config, catalog, people((1, "dated", 5), (1, "undated", None)))  # type: ignore[arg-type]
    assert data(config, "people", "id", "name") == [(1, "dated")]
    write(config, catalog, people((1, "undated again", None)))  # type: ignore[arg-type]
    assert data(config, "people", "id", "name") == [(1, "dated")]


def test_append_dedup_without_cursor_keeps_the_latest_received(config: dict[str, Any]) -> None:
    catalog = [stream("people", mode="append_dedup", pk=["id"])]
    write(config, catalog, people((1, "a"), (1, "b")))
    write(config, catalog, people((1, "c"), (2, "x")))
    assert data(config, "people", "id", "name") == [(1, "c"), (2, "x")]


def test_append_dedup_across_batches_of_one_sync(config: dict[str, Any]) -> None:
    catalog = [stream("people", mode="append_dedup", pk=["id"], cursor="updated")]
    messages = [*people((1, "a", 1), (2, "b", 1)), state("people", 1), *people((1, "c", 2)), state("people", 2)]
    write({**config, "batch_size_records": 1}, catalog, messages)
    assert data(config, "people", "id", "name") == [(1, "c"), (2, "b")]


def test_append_dedup_composite_key(config: dict[str, Any]) -> None:
    props = {"org": {"type": "string"}, "id": {"type": "integer"}, "v": {"type": "integer"}}
    catalog = [stream("people", props, mode="append_dedup", pk=["org", "id"], cursor="v")]
    write(config, catalog, [rec("people", {"org": o, "id": i, "v": v}) for o, i, v in [("a", 1, 1), ("b", 1, 1)]])
    write(config, catalog, [rec("people", {"org": "a", "id": 1, "v": 2})])
    assert sorted(data(config, "people", "org", "id", "v")) == [("a", 1, 2), ("b", 1, 1)]


def test_unique_conflict_method_ignore_keeps_existing_rows(config: dict[str, Any]) -> None:
    catalog = [stream("people", mode="append_dedup", pk=["id"], cursor="updated")]
    settings = {**config, "unique_conflict_method": "ignore"}
    write(settings, catalog, people((1, "original", 1)))
    write(settings, catalog, people((1, "newer", 9), (2, "new", 1), (2, "newest", 2)))
    assert data(config, "people", "id", "name") == [(1, "original"), (2, "newest")]


def test_dedup_with_truncate_refresh(config: dict[str, Any]) -> None:
    write(config, [stream("people", mode="append_dedup", pk=["id"], generation=1)], people((1, "a"), (2, "b")))
    catalog = [stream("people", mode="append_dedup", pk=["id"], generation=2, minimum_generation=2)]
    write(config, catalog, people((2, "b2"), (2, "b3"), (3, "c")))
    assert data(config, "people", "id", "name", "_airbyte_generation_id") == [(2, "b3", 2), (3, "c", 2)]


# -- generations -------------------------------------------------------------------------------------------------


def test_generation_cleanup_keeps_the_minimum_generation_and_newer(config: dict[str, Any]) -> None:
    write(config, [stream("people", generation=1)], people((1, "gen1")))
    write(config, [stream("people", generation=2)], people((2, "gen2")))
    assert len(rows(config, "people")) == 2
    write(config, [stream("people", generation=3, minimum_generation=2)], people((3, "gen3")))
    assert data(config, "people", "id", "_airbyte_generation_id") == [(2, 2), (3, 3)]


def test_truncate_refresh_keeps_only_the_new_generation(config: dict[str, Any]) -> None:
    write(config, [stream("people", generation=1)], people((1, "gen1")))
    write(config, [stream("people", generation=2, minimum_generation=2)], people((2, "gen2")))
    assert data(config, "people", "id", "_airbyte_generation_id") == [(2, 2)]


def test_failed_truncate_refresh_keeps_the_old_generation(config: dict[str, Any]) -> None:
    write(config, [stream("people", generation=1)], people((1, "gen1")))
    messages = [*people((2, "gen2")), state("people", 1), *people((3, "x"))]
    with pytest.raises(RuntimeError):
        write(config, [stream("people", generation=2, minimum_generation=2)], failing(messages, after=2))
    assert data(config, "people", "id", "_airbyte_generation_id") == [(1, 1)]


# -- schema evolution --------------------------------------------------------------------------------------------


def test_new_and_widened_properties_across_syncs(config: dict[str, Any]) -> None:
    write(config, [stream("people")], people((1, "a", 10)))
    widened = {**PEOPLE, "updated": {"type": "number"}, "age": {"type": "integer"}}
    write(config, [stream("people", widened)], [rec("people", {"id": 2, "name": "b", "updated": 1.5, "age": 30})])
    types = column_types(config, "people")
    assert (types["updated"], types["age"]) == ("DOUBLE", "BIGINT")
    assert data(config, "people", "id", "updated", "age") == [(1, 10.0, None), (2, 1.5, 30)]


def test_declared_type_narrowed_later_keeps_the_wider_column(config: dict[str, Any]) -> None:
    write(
        config,
        [stream("people", {"id": {"type": "integer"}, "v": {"type": "string"}})],
        [rec("people", {"id": 1, "v": "x"})],
    )
    write(
        config,
        [stream("people", {"id": {"type": "integer"}, "v": {"type": "integer"}})],
        [rec("people", {"id": 2, "v": 5})],
    )
    assert column_types(config, "people")["v"] == "VARCHAR"
    assert data(config, "people", "id", "v") == [(1, "x"), (2, "5")]


def test_column_dropped_from_the_schema_is_kept_and_left_null(config: dict[str, Any]) -> None:
    write(config, [stream("people")], people((1, "a", 1)))
    write(config, [stream("people", {"id": {"type": "integer"}})], [rec("people", {"id": 2})])
    assert data(config, "people", "id", "name") == [(1, "a"), (2, None)]


def test_mid_stream_new_field_and_widening_across_batches(config: dict[str, Any]) -> None:
    messages = [
        rec("people", {"id": 1, "name": "a"}),
        rec("people", {"id": 2, "name": "b", "score": 3}),
        rec("people", {"id": 3, "name": "c", "score": 4.5, "Tags": ["x"]}),
        rec("people", {"id": 4, "name": "d", "score": "n/a"}),
    ]
    write({**config, "batch_size_records": 2}, [stream("people")], messages)
    types = column_types(config, "people")
    assert (types["score"], types["tags"]) == ("VARCHAR", "JSON")
    assert data(config, "people", "id", "score", "tags") == [
        (1, None, None),
        (2, "3", None),
        (3, "4.5", '["x"]'),
        (4, "n/a", None),
    ]


def test_undeclared_fields_keep_their_columns_sync_after_sync(config: dict[str, Any]) -> None:
    for n in (1, 2):
        write(config, [stream("people")], [rec("people", {"id": n, "firstName": f"n{n}", "Nick Name": "x"})])
    assert data(config, "people", "id", "firstname", "nick_name") == [(1, "n1", "x"), (2, "n2", "x")]


def test_undeclared_field_widening_in_a_later_sync(config: dict[str, Any]) -> None:
    write(config, [stream("people")], [rec("people", {"id": 1, "extra": 5})])
    assert column_types(config, "people")["extra"] == "BIGINT"
    write(config, [stream("people")], [rec("people", {"id": 2, "extra": "five"})])
    assert column_types(config, "people")["extra"] == "VARCHAR"
    assert data(config, "people", "id", "extra") == [(1, "5"), (2, "five")]


def test_schema_change_policy_fail_stops_before_changing_the_table(config: dict[str, Any]) -> None:
    settings = {**config, "schema_change_policy": "fail"}
    write(settings, [stream("people")], people((1, "a")))
    with pytest.raises(ConfigError, match=r"Stream people needs a schema change \(add column age"):
        write(settings, [stream("people", {**PEOPLE, "age": {"type": "integer"}})], people((2, "b")))
    with pytest.raises(ConfigError, match="schema_change_policy is 'fail'"):
        write(settings, [stream("people")], [rec("people", {"id": 3, "surprise": True})])
    assert "age" not in column_types(config, "people")
    assert data(config, "people", "id") == [(1,)]


# -- values and names ----------------------------------------------------------------------------------------------


EDGE_SCHEMA = {
    "id": {"type": "integer"},
    "text": {"type": ["null", "string"]},
    "big": {"type": "integer"},
    "price": {"type": "number"},
    "doc": {"type": "object"},
    "flag": {"type": "boolean"},
    "day": {"type": "string", "format": "date"},
    "at": {"type": "string", "format": "date-time"},
    "local": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "clock": {"type": "string", "format": "time"},
}


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for n in range(depth):
        value = {f"level{n}": [value]}
    return value


def test_edge_values_round_trip(config: dict[str, Any]) -> None:
    lines = [
        orjson.dumps(rec("edge", {"id": 1, "text": "日本語 🚀 café", "big": 2**63 - 1, "price": 0.1, "flag": True})),
        orjson.dumps(rec("edge", {"id": 2, "text": "", "doc": {}, "flag": False, "day": "2024-02-29"})),
        orjson.dumps(rec("edge", {"id": 3, "text": None, "doc": deep(60), "at": "2024-01-01T12:00:00+02:00"})),
        orjson.dumps(rec("edge", {"id": 4, "text": 'quote " comma , newline \n tab \t backslash \\'})),
        orjson.dumps(
            rec("edge", {"id": 5, "text": "nul\x00byte", "local": "2024-05-06T07:08:09", "clock": "23:59:59"})
        ),
        b'{"type":"RECORD","record":{"stream":"edge","emitted_at":1,"data":{"id":6,"price":1.00000000000000000001}}}',
    ]
    write(config, [stream("edge", EDGE_SCHEMA)], lines)
    by_id = {r["id"]: r for r in rows(config, "edge")}
    assert by_id[1]["text"] == "日本語 🚀 café"
    assert by_id[1]["big"] == 2**63 - 1
    assert by_id[1]["price"] == 0.1
    assert by_id[1]["flag"] is True
    assert by_id[2]["text"] == ""
    assert by_id[3]["text"] is None
    assert by_id[2]["doc"] == "{}"
    assert json.loads(by_id[3]["doc"]) == deep(60)
    assert by_id[2]["day"] == dt.date(2024, 2, 29)
    assert by_id[3]["at"] == dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone.utc)
    assert by_id[4]["text"] == 'quote " comma , newline \n tab \t backslash \\'
    assert by_id[5]["text"] == "nulbyte"
    assert json.loads(by_id[5]["_airbyte_meta"])["changes"] == [
        {"field": "text", "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"}
    ]
    assert by_id[5]["local"] == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert by_id[5]["clock"] == dt.time(23, 59, 59)
    assert by_id[6]["price"] == 1.0  # a DOUBLE cannot hold 21 digits: the loss is recorded, not silent
    assert json.loads(by_id[6]["_airbyte_meta"])["changes"] == [
        {"field": "price", "change": "TRUNCATED", "reason": "DESTINATION_FIELD_SIZE_LIMITATION"}
    ]
    assert all(json.loads(r["_airbyte_meta"])["changes"] == [] for i, r in by_id.items() if i not in (5, 6))


def test_huge_integers(config: dict[str, Any]) -> None:
    schema = [stream("nums", {"id": {"type": "integer"}, "n": {"type": "integer"}})]
    line = b'{"type":"RECORD","record":{"stream":"nums","emitted_at":1,"data":{"id":%d,"n":%d}}}'
    write(config, schema, [line % (1, 5), line % (2, 2**64)])
    assert column_types(config, "nums")["n"] == "DECIMAL(38,0)"
    assert data(config, "nums", "id", "n") == [(1, Decimal(5)), (2, Decimal(2**64))]
    write(config, schema, [line % (3, 10**40)])
    assert column_types(config, "nums")["n"] == "DOUBLE"
    assert data(config, "nums", "id", "n") == [(1, 5.0), (2, float(2**64)), (3, 1e40)]


def test_odd_stream_and_field_names(config: dict[str, Any]) -> None:
    long_stream = "A Stream Name That Goes On " * 4
    fields = {
        "select": {"type": "string"},
        "Order ID": {"type": "integer"},
        "user.name": {"type": "string"},
        'say "hi"': {"type": "string"},
        "🚀": {"type": "string"},
        "_airbyte_raw_id": {"type": "string"},
        "x" * 70: {"type": "string"},
        "x" * 70 + "y": {"type": "string"},
    }
    values = {"select": "s", "Order ID": 7, "user.name": "u", 'say "hi"': "h", "🚀": "r", "_airbyte_raw_id": "mine"}
    values.update({"x" * 70: "x", "x" * 70 + "y": "xy"})
    write(
        config,
        [stream(long_stream, fields), stream("Emoji 🚀 stream", {"id": {"type": "integer"}})],
        [
            rec(long_stream, values),
            rec("Emoji 🚀 stream", {"id": 1}),
        ],
    )
    table = normalize(long_stream)
    assert len(table.encode()) == 63
    (row,) = read_table(config, long_stream)
    assert row["select"] == "s" and row["order_id"] == 7 and row["user_name"] == "u" and row["say_hi"] == "h"
    assert row[normalize("🚀")] == "r"
    assert row["_airbyte_raw_id"] != "mine"
    assert [v for k, v in row.items() if k.startswith("_airbyte_raw_id_")] == ["mine"]
    assert {row[normalize("x" * 70)], row[normalize("x" * 70 + "y")]} == {"x", "xy"}
    assert all(len(k.encode()) <= 63 for k in row)
    assert read_table(config, "Emoji 🚀 stream")[0]["id"] == 1


def test_streams_whose_names_normalize_alike_get_separate_tables(config: dict[str, Any]) -> None:
    write(config, [stream("Users"), stream("users")], [rec("Users", {"id": 1}), rec("users", {"id": 2})])
    names = [t for t in tables(config) if t.startswith("users")]
    assert len(names) == 2
    counts = sorted(query(config, f'SELECT count(*), min(id) FROM "{t}"')[0] for t in names)
    assert counts == [(1, 1), (1, 2)]


def test_namespaces_become_schemas(config: dict[str, Any]) -> None:
    write(
        config,
        [stream("people", namespace="Sales Team"), stream("people")],
        [
            rec("people", {"id": 1}, namespace="Sales Team"),
            rec("people", {"id": 2}),
        ],
    )
    assert [r["id"] for r in read_table(config, "people", "Sales Team")] == [1]
    assert [r["id"] for r in read_table(config, "people")] == [2]


# -- replay ledger ---------------------------------------------------------------------------------------------------


def test_retried_attempt_drops_records_of_committed_states(config: dict[str, Any]) -> None:
    catalog = [
        stream("people", sync_id=900),
        stream("things", {"id": {"type": "integer"}}, mode="overwrite", sync_id=900),
    ]
    messages = [
        *people((1, "a"), (2, "b")),
        rec("things", {"id": 10}),
        state("people", 1),
        state("things", 1),
        *people((3, "c")),
        rec("things", {"id": 11}),
        state("people", 2),
        state("things", 2),
        *people((4, "d")),
        state("people", 3),
    ]
    eager = {**config, "batch_size_records": 1, "commit_every_records": 1}
    with pytest.raises(RuntimeError):
        write(eager, catalog, failing(messages, after=8))
    assert data(config, "people", "id") == [(1,), (2,), (3,)], "states 1 and 2 were committed"
    assert "things" not in tables(config), "an overwrite shows nothing before its sync finishes"
    echoed = write(eager, catalog, messages)  # the retry resends everything
    assert data(config, "people", "id") == [(1,), (2,), (3,), (4,)]
    assert data(config, "things", "id") == [(10,), (11,)]
    assert [s["state"]["stream"]["stream_state"]["v"] for s in echoed] == [1, 1, 2, 2, 3]


def test_rerunning_a_finished_sync_changes_nothing(config: dict[str, Any]) -> None:
    catalog = [
        stream("people", sync_id=901, mode="append"),
        stream("things", {"id": {"type": "integer"}}, mode="overwrite", sync_id=901),
    ]
    messages = [*people((1, "a")), rec("things", {"id": 10}), state("people", 1), state("things", 1)]
    write(config, catalog, messages)
    write(config, catalog, messages)
    assert data(config, "people", "id") == [(1,)]
    assert data(config, "things", "id") == [(10,)]


def test_a_new_sync_id_is_not_a_replay(config: dict[str, Any]) -> None:
    messages = [*people((1, "a")), state("people", 1)]
    write(config, [stream("people", sync_id=1)], messages)
    write(config, [stream("people", sync_id=2)], messages)
    assert data(config, "people", "id") == [(1,), (1,)]


def test_identical_states_within_one_sync_do_not_drop_records(config: dict[str, Any]) -> None:
    messages = [*people((1, "a")), state("people", 0), *people((2, "b")), state("people", 0), *people((3, "c"))]
    write({**config, "batch_size_records": 1}, [stream("people", sync_id=902)], messages)
    assert data(config, "people", "id") == [(1,), (2,), (3,)]


def test_a_state_repeated_within_the_replayed_prefix_is_matched_by_occurrence(config: dict[str, Any]) -> None:
    """A cursor that did not move repeats a state: only as many copies as were committed count as replayed."""
    eager = {**config, "batch_size_records": 1, "commit_every_records": 1}
    catalog = [stream("people", sync_id=903)]
    messages = [*people((1, "a")), state("people", 0), *people((2, "b")), state("people", 0), *people((3, "c"))]
    with pytest.raises(RuntimeError):
        write(eager, catalog, failing(messages, after=3))  # the first copy of the state is committed
    assert data(config, "people", "id") == [(1,)]
    write(eager, catalog, messages)
    assert data(config, "people", "id") == [(1,), (2,), (3,)]


def test_ledger_forgets_earlier_syncs_after_a_week_but_keeps_recent_and_current_ones(config: dict[str, Any]) -> None:
    write(config, [stream("people", sync_id=10)], [*people((1, "a")), state("people", 1)])
    write(config, [stream("people", sync_id=11)], [*people((2, "b")), state("people", 2)])
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=8)).strftime("%Y-%m-%d %H:%M:%S")
    connection = duckdb.connect(config["destination_path"])
    connection.execute("UPDATE main._airbyte_destination_state SET committed_at = ? WHERE sync_id = 10", [old])
    connection.close()
    assert {r[0] for r in query(config, "SELECT sync_id FROM main._airbyte_destination_state")} == {10, 11}
    write(config, [stream("people", sync_id=12)], [*people((3, "c")), state("people", 3)])
    # sync 10 is a week old: gone; 11 is recent: kept for a retry; 12 is the sync that just ran
    assert {r[0] for r in query(config, "SELECT sync_id FROM main._airbyte_destination_state")} == {11, 12}
    assert data(config, "people", "id") == [(1,), (2,), (3,)]


@pytest.mark.parametrize("conflict", ["update", "ignore"])
def test_dedup_merges_skip_the_key_delete_only_while_no_staged_key_is_in_the_table(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, conflict: str
) -> None:
    """A merge asks first whether a staged key is already in the table: with none, a plain insert replaces the
    delete and the per-row probe. Both answers must land what dedup means."""
    from destination_duckdb.client import DuckdbClient

    executed: list[str] = []
    original = DuckdbClient.execute

    def recording(self: DuckdbClient, sql: str, params: Any = None) -> None:
        executed.append(sql)
        original(self, sql, params)

    monkeypatch.setattr(DuckdbClient, "execute", recording)
    settings = {**config, "unique_conflict_method": conflict}
    schema = [stream("people", mode="append_dedup", pk=["id"], cursor="updated")]
    write(settings, schema, [rec("people", {"id": 1, "name": "a", "updated": 1}), state("people", 1)])
    assert not [sql for sql in executed if "AND NOT EXISTS" in sql], "no key was in the table: a plain insert"
    assert not [sql for sql in executed if sql.startswith('DELETE FROM "main"."people"')]

    executed.clear()
    messages = [
        rec("people", {"id": 1, "name": "b", "updated": 2}),
        rec("people", {"id": 2, "name": "c", "updated": 1}),
    ]
    write(settings, schema, [*messages, state("people", 2)])
    assert [sql for sql in executed if "AND NOT EXISTS" in sql], "key 1 was in the table: the guarded insert"
    deleted = [sql for sql in executed if sql.startswith('DELETE FROM "main"."people"')]
    assert bool(deleted) == (conflict == "update")
    assert data(config, "people", "id", "name") == [(1, "b" if conflict == "update" else "a"), (2, "c")]
