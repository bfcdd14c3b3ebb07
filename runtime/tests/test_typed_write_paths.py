"""Typed records end to end on DuckDB: whatever mix of typed and fallen-back records a sync holds, it lands what
the general path lands.

The write loop decodes a record straight into its stream's typed struct when it can, and keeps a dict when it
cannot (a new field, a value of another type, upstream changes in `meta`, a line the envelope refuses); a batch
holding both goes back to dicts and the general rules. Each test lands the same input on the typed paths
(tab-separated values where no value breaks them, else CSV; or CSV only) and on the untyped reference (no typed
decoding, CSV only: the general path and nothing else), and compares the tables. A spy on the write loop counts
typed and dict records handed to the loader, so a test that meant to mix them fails if it no longer does.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from destination_duckdb.client import DuckdbClient
from destination_duckdb.destination import DestinationDuckdb
from destination_duckdb.reader import read_table
from dockyard_runtime.destination.catalog import StreamKey
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.sql import loader as loader_module
from dockyard_runtime.sql import typed as typed_module
from dockyard_runtime.sql.loader import SqlLoader

EMITTED = 1_700_000_000_000
LOADS = ("copy_tsv", "copy_csv")
TYPED_PATHS = ("tsv", "csv")
REFERENCE = "untyped"

PEOPLE: dict[str, Any] = {
    "id": {"type": "integer"},
    "updated": {"type": ["null", "integer"]},
    "score": {"type": ["null", "integer"]},
    "price": {"type": ["null", "number"]},
    "flag": {"type": ["null", "boolean"]},
    "text": {"type": ["null", "string"]},
    "doc": {"type": ["null", "object"]},
    "at": {"type": ["null", "string"], "format": "date-time"},
    "day": {"type": ["null", "string"], "format": "date"},
}
ORDERS: dict[str, Any] = {
    "id": {"type": "integer"},
    "amount": {"type": ["null", "number"]},
    "note": {"type": ["null", "string"]},
}
UPSTREAM = {"changes": [{"field": "text", "change": "TRUNCATED", "reason": "SOURCE_RECORD_SIZE_LIMITATION"}]}


# -- forcing a path and watching the records ---------------------------------------------------------------------


@contextmanager
def forced(path: str) -> Iterator[Counter[str]]:
    """Land through `path` only; yields counts of load calls, of chunks staged, of typed and dict records handed
    to the loader, and of typed batches that needed nothing more ("typed batches")."""
    calls: Counter[str] = Counter()

    def counting(name: str, original: Callable[..., None]) -> Callable[..., None]:
        def load(self: DuckdbClient, *args: Any) -> None:
            calls[name] += 1
            original(self, *args)

        return load

    original_stage = WriteLoop._stage
    original_columns = typed_module.typed_columns

    def columns(*args: Any, **kwargs: Any) -> list[list[Any]] | None:
        out = original_columns(*args, **kwargs)
        calls["typed batches"] += out is not None
        return out

    def stage(self: WriteLoop, key: StreamKey) -> None:
        calls["chunks"] += 1
        for data, _, _ in self.buffers[key]:
            calls["dict" if type(data) is dict else "typed"] += 1
        original_stage(self, key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WriteLoop, "_stage", stage)
        patch.setattr(loader_module, "typed_columns", columns)
        for name in LOADS:
            patch.setattr(DuckdbClient, name, counting(name, getattr(DuckdbClient, name)))
        if path in ("csv", REFERENCE):
            patch.delattr(DuckdbClient, "copy_tsv")
        if path == REFERENCE:
            patch.setattr(SqlLoader, "record_decoder", lambda self, config: None)
        yield calls


# -- building syncs ---------------------------------------------------------------------------------------------------


def rec(stream: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A RECORD whose emitted_at follows its id (and `seq`, when given), so rows tell apart by extracted_at too."""
    emitted = EMITTED + int(data.get("id") or 0) * 1000 + int(extra.pop("seq", 0))
    return {"type": "RECORD", "record": {"stream": stream, "emitted_at": emitted, "data": data, **extra}}


def state(stream: str, value: Any) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"v": value}}},
    }


def entry(name: str, properties: dict[str, Any], mode: str) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "stream": {"name": name, "json_schema": {"type": "object", "properties": properties}},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "generation_id": 0,
        "minimum_generation_id": 0,
        "sync_id": 1,
    }
    if mode == "append_dedup":
        stream["primary_key"] = [["id"]]
        stream["cursor_field"] = ["updated"]
    return stream


def catalog(mode: str) -> list[dict[str, Any]]:
    return [entry("people", PEOPLE, mode), entry("orders", ORDERS, mode)]


def clean(n: int, **changes: Any) -> dict[str, Any]:
    """A people record whose every value fits its column as it is."""
    data = {
        "id": n,
        "updated": n % 3,
        "score": n * 10,
        "price": n + 0.5,
        "flag": n % 2 == 0,
        "text": f"person {n}",
        "doc": {"n": n, "tags": ["a", n]},
        "at": f"2024-01-{n % 28 + 1:02d}T12:00:00Z",
        "day": f"2024-02-{n % 28 + 1:02d}",
    }
    return {**data, **changes}


def encode(line: Any) -> bytes:
    return line if isinstance(line, bytes) else orjson.dumps(line)


def write(config: dict[str, Any], streams: list[dict[str, Any]], lines: list[Any]) -> None:
    DestinationDuckdb().write(config, {"streams": streams}, (encode(line) for line in lines), io.BytesIO())


def settings(tmp_path: Path, name: str, **extra: Any) -> dict[str, Any]:
    return {"destination_path": str(tmp_path / f"{name}.duckdb"), "schema": "main", **extra}


def query(config: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    connection = duckdb.connect(config["destination_path"])
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


Snapshot = dict[str, tuple[list[tuple[Any, ...]], list[dict[str, Any]]]]


def snapshot(config: dict[str, Any]) -> Snapshot:
    """Every table the sync made: its columns (name, type, in order) and its rows sorted by id, with
    `_airbyte_meta` parsed and JSON columns read as values (the random `_airbyte_raw_id` left out)."""
    tables = [r[0] for r in query(config, "SELECT table_name FROM information_schema.tables ORDER BY table_name")]
    landed: Snapshot = {}
    for table in tables:
        if table.startswith("_airbyte"):
            continue
        columns = query(
            config,
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_catalog = current_database() AND table_name = '{table}' ORDER BY ordinal_position",
        )
        json_columns = {name for name, kind in columns if kind == "JSON"}
        rows = []
        for row in read_table(config, table):
            del row["_airbyte_raw_id"]
            for name in json_columns:
                row[name] = None if row[name] is None else json.loads(row[name])
            rows.append(row)
        landed[table] = (columns, sorted(rows, key=lambda r: (r["id"], repr(r))))
    return landed


def land(tmp_path: Path, path: str, streams: list[dict[str, Any]], lines: list[Any], **extra: Any) -> Snapshot:
    """One sync on `path` into a fresh database; asserts the typed paths really mixed typed and dict records."""
    config = settings(tmp_path, path, **extra)
    with forced(path) as calls:
        write(config, streams, lines)
    if path == REFERENCE:
        assert calls["typed"] == 0, "the reference decoded typed records"
    else:
        assert calls["typed"] and calls["dict"], f"{path}: the sync did not mix typed and dict records: {calls}"
    return snapshot(config)


# -- a batch that falls back mid-way -----------------------------------------------------------------------------------


MIXED: list[Any] = [
    rec("people", clean(1)),
    rec("people", clean(2, text="tab\there, \\N and a newline\n")),
    rec("people", clean(3, extra="a new field")),  # no column yet: a dict
    rec("orders", {"id": 1, "amount": 9.99, "note": "first"}),
    rec("people", clean(4, price=1.50, doc={"x": 1.50, "y": 1e2})),  # typed with the old shape
    rec("people", clean(5, score="seven")),  # a string in an integer column: a dict, nulled
    rec("ghosts", {"id": 1, "boo": True}),  # not in the catalog: ignored
    rec("people", clean(6), namespace=None),
    rec("people", clean(7), meta=UPSTREAM),  # upstream changes: the full rules
    rec("orders", {"id": 2, "amount": "12.5", "note": None}),  # a numeric string: coerced by the general path
    rec("people", clean(8, score=None, text=None, doc=None, at=None)),
    rec("people", {"id": 9}),
    rec("orders", {"id": 3, "amount": 12345678901234567890, "note": "long"}),
    rec("people", clean(10, updated=2, score=-(2**63), price=1e300, day="2024-02-29")),
    b'{"type":"RECORD","record":{"stream":"people","emitted_at":1700000011000.9,"data":{"id":11,"text":"float"}}}',
    rec("people", clean(12, at="2024-02-30T00:00:00Z")),  # decodes as a string, but no such day
    rec("people", clean(1, text="id 1 again", updated=0)),
    rec("people", clean(13, flag=1)),  # an integer in a boolean column
]


@pytest.mark.parametrize("mode", ["append", "overwrite", "append_dedup"])
def test_a_batch_mixing_typed_and_fallen_back_records_lands_like_the_general_path(
    tmp_path: Path, protocol_out: Any, mode: str
) -> None:
    lines = [*MIXED, state("people", 1), state("orders", 1)]
    reference = land(tmp_path, REFERENCE, catalog(mode), lines)
    for path in TYPED_PATHS:
        assert land(tmp_path, path, catalog(mode), lines) == reference, f"the {path} path differs"

    # what they agree on is the general path's reading
    assert sorted(reference) == ["orders", "people"], "the stream outside the catalog made no table"
    columns, rows = reference["people"]
    assert ("extra", "VARCHAR") in columns
    by_id = {r["id"]: r for r in rows}
    assert by_id[5]["score"] is None
    assert by_id[5]["_airbyte_meta"]["changes"] == [
        {"field": "score", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}
    ]
    assert by_id[7]["_airbyte_meta"]["changes"] == UPSTREAM["changes"]
    assert by_id[12]["at"] is None and by_id[13]["flag"] is None
    assert by_id[3]["extra"] == "a new field" and by_id[4]["extra"] is None
    assert by_id[4]["doc"] == {"x": 1.5, "y": 100}
    assert by_id[11]["_airbyte_extracted_at"].timestamp() * 1000 == pytest.approx(EMITTED + 11_000)
    assert [r["id"] for r in rows].count(1) == (1 if mode == "append_dedup" else 2)
    if mode == "append_dedup":
        assert by_id[1]["text"] == "person 1", "an older cursor does not replace the row"
    orders = {r["id"]: r for r in reference["orders"][1]}
    assert (orders[2]["amount"], orders[3]["amount"]) == (12.5, 12345678901234567890.0)


def test_a_second_sync_with_a_widened_table_lands_like_the_general_path(tmp_path: Path, protocol_out: Any) -> None:
    """The first sync adds and widens columns; the second decodes with the table it finds."""
    first = [
        rec("people", clean(1)),
        rec("people", clean(2, score=2.5, extra={"k": [1]})),  # widens a declared integer; a new JSON column
        state("people", 1),
    ]
    second = [
        rec("people", clean(3, score=3.75, extra={"k": None})),
        rec("people", clean(4, score=4, extra="text in a JSON column")),
        rec("people", clean(5, extra=[1, 2.50])),
        state("people", 2),
    ]
    landed: dict[str, Snapshot] = {}
    for path in (REFERENCE, *TYPED_PATHS):
        config = settings(tmp_path, path)
        with forced(path):
            write(config, catalog("append"), first)
        with forced(path) as calls:
            write(config, catalog("append"), second)
        if path != REFERENCE:
            assert calls["typed"] == 3, f"{path}: the second sync decoded for the widened table"
            assert calls["typed batches"] == 1, f"{path}: the second sync's batch took the typed path"
        landed[path] = snapshot(config)
    for path in TYPED_PATHS:
        assert landed[path] == landed[REFERENCE], f"the {path} path differs"
    columns: dict[str, str] = dict(landed[REFERENCE]["people"][0])
    assert (columns["score"], columns["extra"]) == ("DOUBLE", "JSON")


# -- small chunks gathered into loads ----------------------------------------------------------------------------------


def gathered_input() -> list[Any]:
    """60 people records over 17 ids, each naming its place in the input, with orders interleaved, a state every
    six records, and records that fall back now and then."""
    lines: list[Any] = []
    for n in range(60):
        data = clean(n % 17, updated=1, text=f"r{n}")
        if n % 11 == 5:
            data["score"] = str(n)  # a numeric string: a dict, coerced
        if n == 25:
            data["late"] = "a field that appears mid-sync"
        lines.append(rec("people", data, seq=n))
        if n % 4 == 0:
            lines.append(rec("orders", {"id": n, "amount": n / 4, "note": f"o{n}"}))
        if n % 6 == 5:
            lines.append(state("people", n))
    return [*lines, state("orders", "end")]


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_small_chunks_gather_into_loads_that_keep_every_row_and_its_order(
    tmp_path: Path, protocol_out: Any, mode: str
) -> None:
    lines = gathered_input()
    extra = {"batch_size_records": 7, "commit_every_records": 12}
    landed: dict[str, Snapshot] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WriteSettings, "handed_records", property(lambda self: 2))
        for path in (REFERENCE, *TYPED_PATHS):
            config = settings(tmp_path, path, **extra)
            with forced(path) as calls:
                write(config, catalog(mode), lines)
            loads = sum(calls[name] for name in LOADS)
            assert calls["chunks"] >= 40, f"{path}: the records were not handed over in small chunks"
            assert 0 < loads < calls["chunks"], f"{path}: chunks were not gathered ({loads} loads, {calls})"
            if path != REFERENCE:
                assert calls["typed"] and calls["dict"] and calls["typed batches"], f"{path}: {calls}"
            assert bool(calls["copy_tsv"]) == (path == "tsv"), f"{path}: TSV loads only on the tsv path: {calls}"
            landed[path] = snapshot(config)
    for path in TYPED_PATHS:
        assert landed[path] == landed[REFERENCE], f"the {path} path differs"

    people = landed[REFERENCE]["people"][1]
    inputs = [line["record"] for line in lines if isinstance(line, dict) and line["type"] == "RECORD"]
    expected = [(r["data"]["id"], r["data"]["text"], r["emitted_at"]) for r in inputs if r["stream"] == "people"]
    if mode == "append_dedup":  # equal cursors: the record received last wins, so _dy_seq kept the input order
        last = {id_: (id_, text, at) for id_, text, at in expected}
        expected = list(last.values())
    got = [(r["id"], r["text"], round(r["_airbyte_extracted_at"].timestamp() * 1000)) for r in people]
    assert sorted(got) == sorted(expected)
    assert len(landed[REFERENCE]["orders"][1]) == 15


# -- input the typed path must not choke on --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b'{"id":2,"text":"\xff bad byte"}', b'{"id":2,"doc":{"k":"\xff"}}', b'{"id":2,"day":"\xc3"}'],
    ids=["string-column", "json-column", "date-column"],
)
def test_invalid_utf8_in_a_record_lands_like_the_general_path(tmp_path: Path, protocol_out: Any, data: bytes) -> None:
    """The general path cannot parse such a line and skips it as malformed; the typed decoder reads the data
    object, and must refuse it the same way rather than fail the sync."""
    lines = [
        rec("people", clean(1)),
        b'{"type":"RECORD","record":{"stream":"people","emitted_at":1,"data":%s}}' % data,
        rec("people", clean(3)),
        state("people", 1),
    ]
    reference = settings(tmp_path, REFERENCE)
    with forced(REFERENCE):
        write(reference, catalog("append"), lines)
    assert [r["id"] for r in snapshot(reference)["people"][1]] == [1, 3], "the general path skips the line"
    for path in TYPED_PATHS:
        config = settings(tmp_path, path)
        with forced(path):
            write(config, catalog("append"), lines)
        assert snapshot(config) == snapshot(reference), f"the {path} path differs"
