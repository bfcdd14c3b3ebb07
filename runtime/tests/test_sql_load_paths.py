"""Every way a batch reaches DuckDB's staging table lands the same final table.

`SqlLoader.stage` renders a batch (typed records, or dicts normalized by the general path's rules) as unescaped
tab-separated values (`copy_tsv`) when no value holds a tab, newline, carriage return or leading byte order mark
and none is the text \\N, and as CSV (`copy_csv`) otherwise. Each test forces a path by taking methods off
`DuckdbClient` (and typed decoding off `SqlLoader`) and compares what lands. Known disagreements are strict xfails
that name the input and what each path lands.
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
from destination_duckdb.dialect import DuckdbDialect
from destination_duckdb.reader import read_table
from dockyard_runtime.destination.catalog import parse_catalog
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.columnar import columns_to_tsv
from dockyard_runtime.sql.loader import STAGE_EXTRA, SqlLoader, SqlLoaderOptions
from dockyard_runtime.sql.types import INT64_MAX, INT64_MIN, LogicalType

T = LogicalType
EMITTED = 1_700_000_000_000
LOADS = ("copy_tsv", "copy_csv")
# "tsv": TSV where no value breaks it, else CSV. "csv": CSV only.
# "untyped": no typed decoding (every record a dict, as a loader without `record_decoder` gets them) and CSV only:
# the general path's rules and nothing else, the reference the others must match.
PATHS = ("tsv", "csv", "untyped")


# -- forcing a path ----------------------------------------------------------------------------------------------


@contextmanager
def forced(path: str) -> Iterator[Counter[str]]:
    """Make `DuckdbClient` offer only the loads of `path`; yields the count of each load method called."""
    calls: Counter[str] = Counter()

    def counting(name: str, original: Callable[..., None]) -> Callable[..., None]:
        def load(self: DuckdbClient, *args: Any) -> None:
            calls[name] += 1
            original(self, *args)

        return load

    with pytest.MonkeyPatch.context() as patch:
        for name in LOADS:
            patch.setattr(DuckdbClient, name, counting(name, getattr(DuckdbClient, name)))
        if path in ("csv", "untyped"):
            patch.delattr(DuckdbClient, "copy_tsv")
        if path == "untyped":
            patch.setattr(SqlLoader, "record_decoder", lambda self, config: None)
        yield calls


# -- building syncs ------------------------------------------------------------------------------------------------


SCHEMA: dict[str, Any] = {
    "id": {"type": "integer"},
    "updated": {"type": ["null", "integer"]},
    "big": {"type": ["null", "integer"]},
    "score": {"type": ["null", "integer"]},
    "price": {"type": ["null", "number"]},
    "flag": {"type": ["null", "boolean"]},
    "text": {"type": ["null", "string"]},
    "doc": {"type": ["null", "object"]},
    "tags": {"type": ["null", "array"]},
    "at": {"type": ["null", "string"], "format": "date-time"},
    "local": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "day": {"type": ["null", "string"], "format": "date"},
}

UPSTREAM = {"changes": [{"field": "text", "change": "TRUNCATED", "reason": "SOURCE_RECORD_SIZE_LIMITATION"}]}


def rec(data: dict[str, Any], stream: str = "people", **extra: Any) -> dict[str, Any]:
    """A RECORD whose emitted_at follows its id, so `_airbyte_extracted_at` tells rows apart too."""
    record = {"stream": stream, "emitted_at": EMITTED + int(data.get("id") or 0), "data": data, **extra}
    return {"type": "RECORD", "record": record}


def state(value: Any, stream: str = "people") -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"v": value}}},
    }


# Sync one, batch by batch (each ends at a state, and a state commits). The comment says which batches the TSV
# path loads as TSV and which it leaves to CSV.
CLEAN = [  # TSV
    rec(
        {
            "id": 1,
            "updated": 1,
            "big": 0,
            "score": 1,
            "price": 0.1,
            "flag": True,
            "text": "日本語 🚀 café",
            "doc": {"a": 1, "b": [1.5, "x", {"c": None}]},
            "tags": ["x", "y"],
            "at": "2024-01-01T12:00:00Z",
            "local": "2024-05-06T07:08:09",
            "day": "2024-02-29",
        }
    ),
    rec(
        {
            "id": 2,
            "updated": 1,
            "big": -42,
            "score": -3,
            "price": -2.5,
            "flag": False,
            "text": 'say "hi", then, back\\slash \\n',
            "doc": {},
            "tags": [],
            "at": "2024-01-01T12:00:00+02:00",
            "local": "2024-05-06 07:08:09.123456",
            "day": "0001-01-01",
        }
    ),
    # nulls and missing fields
    rec({"id": 3, "updated": None, "text": None, "doc": None, "at": "2024-01-01T12:00:00.123456789Z"}),
    rec(
        {
            "id": 4,
            "updated": 2,
            "price": 3,
            "text": "",
            "doc": "just text",
            "tags": [[1], [2, [3]]],
            "at": "2024-01-01 12:00:00",
            "local": "2024-05-06T07:08:09.5",
            "day": "9999-12-31",
        }
    ),
    rec(
        {
            "id": 5,
            "updated": 2,
            "price": 1e300,
            "text": "\\",
            "doc": {"quote": 'a "b" \\ c', "unicode": "é🚀"},
            "at": "2024-06-30T23:59:59.5-07:00",
            "local": "2024-05-06 07:08:09",
        }
    ),
]
LIMITS = [  # TSV (19 digits: these lines take the exact parser, and hold no float that it makes a Decimal)
    rec({"id": 6, "big": INT64_MAX, "text": "max"}),
    rec({"id": 7, "big": INT64_MIN, "text": "min"}),
]
BREAKERS = [  # CSV
    rec({"id": 8, "text": "tab\there"}),
    rec({"id": 9, "text": "line\nbreak\r\nend\rcr"}),
]
BACKSLASH_N = [rec({"id": 10, "text": "\\N"})]  # CSV: TSV reads the bare text \N as NULL
GENERAL = [  # general path (CSV) on every path
    rec({"id": 11, "score": "7"}),
    rec({"id": 12, "score": "seven"}),
    rec({"id": 13, "text": "cut short"}, meta=UPSTREAM),
    rec({"id": 14, "text": "nul\x00byte"}),
]
EVOLVING = [  # general path: widens the declared integer `score` to a number, adds two undeclared columns
    rec({"id": 15, "score": 2.5}),
    rec({"id": 16, "extra": "new field", "Nested": {"k": [1, 2]}}),
]
EVOLVED = [  # TSV, with the new columns
    rec({"id": 17, "score": 3.25, "extra": "again", "Nested": {"k": None}}),
    rec({"id": 18, "score": 4, "extra": None}),
    rec({"id": 1, "updated": 1, "text": "same cursor, received later"}),
]
SYNC_ONE = [CLEAN, LIMITS, BREAKERS, BACKSLASH_N, GENERAL, EVOLVING, EVOLVED]

SYNC_TWO = [
    [  # TSV
        rec({"id": 1, "updated": 3, "text": "newer", "score": 10}),
        rec({"id": 2, "updated": 0, "text": "older"}),
        rec({"id": 3, "updated": 5, "text": "first of a tie"}),
        rec({"id": 3, "updated": 5, "text": "second of a tie"}),
    ],
    [rec({"id": 19, "updated": 1, "text": "tab\tin sync two", "extra": "x"})],  # CSV
]


def expected_loads(path: str) -> Counter[str]:
    """Load calls over both syncs: 9 batches, each committed (so loaded) on its own, 4 of them TSV-eligible."""
    return {
        "tsv": Counter(copy_tsv=4, copy_csv=5),
        "csv": Counter(copy_csv=9),
        "untyped": Counter(copy_csv=9),
    }[path]


def messages(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, batch in enumerate(batches):
        out += [*batch, state(n)]
    return out


def catalog(
    mode: str = "append", *, properties: dict[str, Any] | None = None, sync_id: int | None = None
) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {
        "stream": {"name": "people", "json_schema": {"type": "object", "properties": properties or SCHEMA}},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "generation_id": 0,
        "minimum_generation_id": 0,
    }
    if mode == "append_dedup":
        entry["primary_key"] = [["id"]]
        entry["cursor_field"] = ["updated"]
    if sync_id is not None:
        entry["sync_id"] = sync_id
    return [entry]


def write(config: dict[str, Any], streams: list[dict[str, Any]], lines: list[Any]) -> None:
    out = io.BytesIO()
    DestinationDuckdb().write(
        config, {"streams": streams}, (line if isinstance(line, bytes) else orjson.dumps(line) for line in lines), out
    )


def settings(tmp_path: Path, name: str, **extra: Any) -> dict[str, Any]:
    # every state commits, so each batch of SYNC_ONE / SYNC_TWO is staged on its own
    return {"destination_path": str(tmp_path / f"{name}.duckdb"), "schema": "main", "commit_every_records": 1, **extra}


def query(config: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    connection = duckdb.connect(config["destination_path"])
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


Snapshot = tuple[list[tuple[Any, ...]], list[dict[str, Any]]]


def snapshot(config: dict[str, Any], table: str = "people") -> Snapshot:
    """The table's columns (name, type, in order) and its rows sorted by id, with `_airbyte_meta` parsed and the
    random `_airbyte_raw_id` left out."""
    columns = query(
        config,
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_catalog = current_database() AND table_name = '{table}' ORDER BY ordinal_position",
    )
    rows = []
    for row in read_table(config, table):
        del row["_airbyte_raw_id"]
        row["_airbyte_meta"] = json.loads(row["_airbyte_meta"])
        rows.append(row)
    return columns, sorted(rows, key=lambda r: (r["id"], repr(r)))


def land(tmp_path: Path, path: str, streams: list[dict[str, Any]], lines: list[Any]) -> Snapshot:
    """One sync on `path` into a fresh database."""
    config = settings(tmp_path, path)
    with forced(path):
        write(config, streams, lines)
    return snapshot(config)


# -- the paths agree -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["append", "overwrite", "append_dedup"])
def test_every_path_lands_the_same_table(tmp_path: Path, protocol_out: Any, mode: str) -> None:
    landed: dict[str, tuple[Snapshot, Snapshot]] = {}
    for path in PATHS:
        config = settings(tmp_path, path)
        with forced(path) as calls:
            write(config, catalog(mode, sync_id=1), messages(SYNC_ONE))
            first = snapshot(config)
            write(config, catalog(mode, sync_id=2), messages(SYNC_TWO))
            landed[path] = (first, snapshot(config))
        assert calls == expected_loads(path), f"{path}: the batches did not take the paths the test is about"

    reference = landed["untyped"]
    for path in PATHS:
        assert landed[path][0] == reference[0], f"{path} path differs from the general path after sync one"
        assert landed[path][1] == reference[1], f"{path} path differs from the general path after sync two"

    # What they agree on is what the general path means (a wrong answer shared by every path fails here).
    columns, rows = reference[0]
    types: dict[str, str] = dict(columns)
    assert (types["score"], types["extra"], types["nested"], types["big"]) == ("DOUBLE", "VARCHAR", "JSON", "BIGINT")
    by_id = {r["id"]: r for r in rows}  # id 1 has two rows unless deduped: its checks are below
    assert (by_id[6]["big"], by_id[7]["big"]) == (INT64_MAX, INT64_MIN)
    assert by_id[8]["text"] == "tab\there" and by_id[9]["text"] == "line\nbreak\r\nend\rcr"
    assert by_id[10]["text"] == "\\N"
    assert (by_id[11]["score"], by_id[12]["score"], by_id[15]["score"]) == (7.0, None, 2.5)
    assert by_id[12]["_airbyte_meta"]["changes"] == [
        {"field": "score", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}
    ]
    assert by_id[13]["_airbyte_meta"] == {"changes": UPSTREAM["changes"], "sync_id": 1}
    assert by_id[14]["text"] == "nulbyte"
    assert json.loads(by_id[16]["nested"]) == {"k": [1, 2]}
    assert by_id[2]["at"].isoformat() == "2024-01-01T10:00:00+00:00"
    ids = [r["id"] for r in rows]
    if mode == "append_dedup":
        assert ids == list(range(1, 19))
        assert by_id[1]["text"] == "same cursor, received later"
    else:
        assert ids == [1, *range(1, 19)]

    final = {r["id"]: r for r in reference[1][1]}
    if mode == "append_dedup":
        assert final[1]["text"] == "newer"
        assert final[2]["text"] == CLEAN[1]["record"]["data"]["text"], "an older cursor does not replace the row"
        assert final[3]["text"] == "second of a tie"
    elif mode == "overwrite":
        assert sorted(final) == [1, 2, 3, 19]


# -- which path a batch takes ----------------------------------------------------------------------------------------


PEOPLE = {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}, "updated": {"type": ["null", "integer"]}}


@pytest.mark.parametrize(
    ("path", "records", "expected"),
    [
        pytest.param("tsv", [rec({"id": 1, "name": "a", "updated": 1})], {"copy_tsv": 1}, id="clean"),
        pytest.param("tsv", [rec({"id": 1, "name": "a\tb"})], {"copy_csv": 1}, id="tab"),
        pytest.param("tsv", [rec({"id": 1, "name": "a\nb"})], {"copy_csv": 1}, id="newline"),
        pytest.param("tsv", [rec({"id": 1, "name": "a\rb"})], {"copy_csv": 1}, id="carriage-return"),
        pytest.param("tsv", [rec({"id": 1, "name": "\\N"})], {"copy_csv": 1}, id="backslash-n"),
        pytest.param("tsv", [rec({"id": 1, "name": "x\\Ny"})], {"copy_tsv": 1}, id="backslash-n-inside-a-value"),
        pytest.param("tsv", [rec({"id": 1}), rec({"id": 2, "surprise": "x"})], {"copy_csv": 1}, id="new-field"),
        pytest.param("tsv", [rec({"id": 1}), rec({"id": 2}, meta=UPSTREAM)], {"copy_csv": 1}, id="upstream-changes"),
        pytest.param("tsv", [rec({"id": 1, "updated": "7"})], {"copy_csv": 1}, id="numeric-string"),
        pytest.param("tsv", [rec({"id": 1, "name": 5})], {"copy_csv": 1}, id="number-in-a-string-column"),
        pytest.param("tsv", [rec({"id": 1, "name": "nul\x00"})], {"copy_csv": 1}, id="nul-character"),
        pytest.param("csv", [rec({"id": 1, "name": "a", "updated": 1})], {"copy_csv": 1}, id="clean-without-tsv"),
    ],
)
def test_each_batch_takes_the_cheapest_path_that_lands_it_right(
    tmp_path: Path, protocol_out: Any, path: str, records: list[dict[str, Any]], expected: dict[str, int]
) -> None:
    config = settings(tmp_path, path)
    with forced(path) as calls:
        write(config, catalog(properties=PEOPLE), records)
    assert calls == Counter(expected)
    assert sorted(r["id"] for r in read_table(config, "people")) == [r["record"]["data"]["id"] for r in records]


# -- gathered chunks and later schema changes ------------------------------------------------------------------------


def test_a_gathered_chunk_loads_with_the_columns_it_was_rendered_with(tmp_path: Path) -> None:
    """Chunks wait to be loaded together, and jobs run after later chunks were planned: a chunk still waiting when a
    later one adds a column must load before that column exists, with the columns it was rendered with."""
    loader = SqlLoader(DuckdbClient(str(tmp_path / "plan.duckdb")), DuckdbDialect(), SqlLoaderOptions("main"))
    streams = parse_catalog({"streams": catalog(properties=PEOPLE)})
    (config,) = streams.values()
    loads: list[tuple[list[str], list[str]]] = []  # (the load's columns, the staging table's) for each load

    def recording(original: Callable[[str, list[str], bytes], None]) -> Callable[[str, list[str], bytes], None]:
        def load(table: str, columns: list[str], data: bytes) -> None:
            staging = loader.client.table_columns("main", "main._dy_stage_people") or {}
            loads.append(([c for c in columns if c not in STAGE_EXTRA], [c for c in staging if c not in STAGE_EXTRA]))
            original(table, columns, data)

        return load

    for name in LOADS:
        setattr(loader.client, name, recording(getattr(loader.client, name)))
    try:
        loader.open(streams)
        first: list[Record] = [({"id": 1, "name": "a"}, EMITTED, None)]
        second: list[Record] = [({"id": 2, "name": "b", "extra": 1.5}, EMITTED, None)]
        staged = [loader.stage(config, first), loader.stage(config, second)]  # the second plans the new column
        assert staged[0] is None, "the first chunk was loaded at once: this test no longer covers a gathered one"
        for job in [*staged, loader.commit([]), loader.finish()]:
            if job is not None:
                job()
        rows = loader.client.query('SELECT id, name, extra FROM "main"."people" ORDER BY id')
    finally:
        loader.close()
    assert loads == [
        (["id", "name", "updated"], ["id", "name", "updated"]),
        (["id", "name", "updated", "extra"], ["id", "name", "updated", "extra"]),
    ]
    assert rows == [(1, "a", None), (2, "b", 1.5)]


# -- _dy_seq follows the input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["tsv", "csv"])
@pytest.mark.parametrize("batch_size", [50_000, 1_000])
def test_loads_keep_input_order_so_the_later_of_equal_cursors_wins(
    tmp_path: Path, protocol_out: Any, batch_size: int, path: str
) -> None:
    """Rows get `_dy_seq` in input order across chunks and gathered loads: the dedup's tie-break depends on it."""
    config = settings(tmp_path, "order", batch_size_records=batch_size)
    lines = [rec({"id": n % 3, "name": f"r{n}", "updated": 7}) for n in range(3_000)]
    with forced(path) as calls:
        write(config, catalog("append_dedup", properties=PEOPLE), lines)
    assert calls == Counter({f"copy_{path}": 3_000 // min(batch_size, 3_000)})
    rows = sorted((r["id"], r["name"]) for r in read_table(config, "people"))
    assert rows == [(0, "r2997"), (1, "r2998"), (2, "r2999")]


# -- staging lives in DuckDB's temporary catalog ---------------------------------------------------------------------


def _dy_tables(config: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Tables of the database file (its main catalog) whose names start with _dy_, schema prefix or not."""
    return query(
        config,
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND (starts_with(table_name, '_dy_') OR contains(table_name, '._dy_'))",
    )


@pytest.mark.parametrize("mode", ["append", "overwrite", "append_dedup"])
def test_staging_tables_are_temporary_and_leave_nothing_in_the_file(
    tmp_path: Path, protocol_out: Any, mode: str
) -> None:
    config = settings(tmp_path, "staging")
    seen: list[tuple[Any, ...]] = []

    def looking(original: Callable[..., None]) -> Callable[..., None]:
        def load(self: DuckdbClient, *args: Any) -> None:
            seen.extend(
                self.query(
                    "SELECT table_catalog, table_type, table_name FROM information_schema.tables "
                    "WHERE contains(table_name, '_dy_stage')"
                )
            )
            original(self, *args)

        return load

    with pytest.MonkeyPatch.context() as patch:
        for name in LOADS:
            patch.setattr(DuckdbClient, name, looking(getattr(DuckdbClient, name)))
        write(config, catalog(mode, properties=PEOPLE), [rec({"id": 1, "name": "a"}), state(1)])
    assert seen == [("temp", "LOCAL TEMPORARY", "main._dy_stage_people")]
    assert _dy_tables(config) == []
    names = [r[0] for r in query(config, "SELECT table_name FROM information_schema.tables")]
    assert "people" in names, "the query above looks at the tables the sync made"


def test_a_failed_sync_leaves_no_staging_table_in_the_file(tmp_path: Path, protocol_out: Any) -> None:
    config = settings(tmp_path, "failed", batch_size_records=1)

    def crashing() -> Iterator[bytes]:
        yield orjson.dumps(rec({"id": 1, "name": "staged"}))
        yield orjson.dumps(rec({"id": 2, "name": "staged too"}))
        raise RuntimeError("source crashed")

    with pytest.raises(RuntimeError, match="source crashed"):
        DestinationDuckdb().write(config, {"streams": catalog(properties=PEOPLE)}, crashing(), io.BytesIO())
    assert _dy_tables(config) == []
    assert query(config, 'SELECT count(*) FROM "main"."people"') == [(0,)], "nothing was committed"


# -- columns_to_tsv ----------------------------------------------------------------------------------------------------


def test_tsv_renders_values_as_they_are_with_backslash_n_for_null() -> None:
    kinds = [T.INTEGER, T.STRING, T.BOOLEAN, T.NUMBER, T.JSON, T.TIMESTAMP_TZ]
    columns: list[list[Any]] = [
        [1, None, -5],
        ['say "hi", ok', "back\\slash", None],
        [True, False, None],
        [0.5, None, 3],
        ['{"a":"x\\\\N"}', None, "[]"],
        ["2024-01-01T12:00:00Z", None, "2024-01-01 12:00:00.5+02:00"],
        [EMITTED, EMITTED, EMITTED],  # then emitted_at, _dy_seq and _dy_meta
        [0, 1, 2],
        [None, None, None],
    ]
    assert columns_to_tsv(kinds, columns) == (
        '1\tsay "hi", ok\tt\t0.5\t{"a":"x\\\\N"}\t2024-01-01T12:00:00Z\t1700000000000\t0\t\\N\n'
        "\\N\tback\\slash\tf\t\\N\t\\N\t\\N\t1700000000000\t1\t\\N\n"
        "-5\t\\N\t\\N\t3\t[]\t2024-01-01 12:00:00.5+02:00\t1700000000000\t2\t\\N\n"
    )
    assert columns_to_tsv(kinds, [[] for _ in columns]) == ""


@pytest.mark.parametrize("kind", [T.STRING, T.JSON, T.DATE, T.TIMESTAMP])
@pytest.mark.parametrize("value", ["a\tb", "a\nb", "a\rb", "\t", "\\N"])
def test_tsv_gives_up_on_values_it_cannot_hold(kind: LogicalType, value: str) -> None:
    columns: list[list[Any]] = [[1, 2], ["fine", value], [EMITTED, EMITTED], [0, 1], [None, None]]
    assert columns_to_tsv([T.INTEGER, kind], columns) is None
    clean: list[list[Any]] = [[1, 2], ["fine", "x\\Ny"], [EMITTED, EMITTED], [0, 1], [None, None]]
    assert columns_to_tsv([T.INTEGER, kind], clean) is not None, "only the whole value \\N is ambiguous"


# -- edge inputs every path must land alike, and the known differences -----------------------------------------------
# The JSON column's spelling differences remain: strict xfails that name the input and what each path lands
# (documented in docs/integrations/destinations/duckdb.md); they turn the suite red once fixed.


def _line(data: bytes, record_extra: bytes = b',"emitted_at":1700000000000') -> bytes:
    return b'{"type":"RECORD","record":{"stream":"people"%s,"data":%s}}' % (record_extra, data)


@pytest.mark.parametrize(
    "emitted_at", [b"", b',"emitted_at":null', b',"emitted_at":1700000000123.7'], ids=["absent", "null", "fraction"]
)
def test_odd_emitted_at_lands_alike_on_every_path(tmp_path: Path, protocol_out: Any, emitted_at: bytes) -> None:
    lines = [_line(b'{"id":1,"name":"a"}', emitted_at)]
    landed = {path: land(tmp_path, path, catalog(properties=PEOPLE), lines)[1] for path in PATHS}
    extracted = {path: [r["_airbyte_extracted_at"] for r in rows] for path, rows in landed.items()}
    assert extracted["tsv"] == extracted["csv"] == extracted["untyped"]
    assert len(extracted["untyped"]) == 1


def test_a_leading_byte_order_mark_survives_the_tsv_path(tmp_path: Path, protocol_out: Any) -> None:
    properties = {"name": {"type": "string"}, "id": {"type": "integer"}}  # a string first: the file starts with it
    lines = [rec({"name": "\ufeffmarked", "id": 1}), rec({"name": "plain", "id": 2})]
    with forced("tsv") as calls:
        config = settings(tmp_path, "bom")
        write(config, catalog(properties=properties), lines)
    # DuckDB's CSV reader would take a U+FEFF that starts the file for a byte order mark: such a batch goes as CSV
    assert calls == Counter(copy_csv=1)
    assert [r["name"] for r in snapshot(config)[1]] == ["\ufeffmarked", "plain"]


def test_a_row_over_two_megabytes_lands_on_every_path(tmp_path: Path, protocol_out: Any) -> None:
    """DuckDB's CSV reader refuses a line over 2 MB unless told its length: both loads retry with it."""
    lines = [rec({"id": 1, "name": "y" * 2_100_000})]
    landed: dict[str, Snapshot] = {}
    for path in PATHS:
        config = settings(tmp_path, path)
        with forced(path) as calls:
            write(config, catalog(properties=PEOPLE), lines)
        assert calls == Counter({"copy_tsv" if path == "tsv" else "copy_csv": 1}), path
        landed[path] = snapshot(config)
    assert landed["tsv"] == landed["csv"] == landed["untyped"]
    assert len(landed["untyped"][1][0]["name"]) == 2_100_000


@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"RECORD",\r"record":{"stream":"people","emitted_at":1,"data":{"id":1,"name":"a"}}}',
        b'{"type":"RECORD","record":{"stream":"people","emitted_at":1,"data":{"id":1,\r"name":"a"}}}\r',
    ],
    ids=["in-the-envelope", "in-the-data-and-at-the-end"],
)
def test_a_carriage_return_between_json_tokens_is_whitespace_on_every_path(
    tmp_path: Path, protocol_out: Any, line: bytes
) -> None:
    """A bare CR inside a line is JSON whitespace, not a line break: every path reads the record."""
    landed = {path: land(tmp_path, path, catalog(properties=PEOPLE), [line]) for path in PATHS}
    assert landed["tsv"] == landed["csv"] == landed["untyped"]
    assert [(r["id"], r["name"]) for r in landed["untyped"][1]] == [(1, "a")]


def _general_path_differs(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b'{"a": 1,  "b" : [1, 2]}', id="whitespace"),
        pytest.param(b'{"x":1e300}', id="exponent-spelling"),
        pytest.param(b'{"x":"\\u001f","y":"\\u00e9"}', id="escapes"),
        pytest.param(b'{"x":1.50,"y":1e2}', id="number-spelling"),
        pytest.param(b'{"a":1,"a":2}', id="duplicate-key", marks=_general_path_differs("orjson keeps the last key")),
        pytest.param(
            b'{"x":1e400}',
            id="beyond-double-range",
            marks=_general_path_differs("the general path reads an infinite float, which orjson writes as null"),
        ),
    ],
)
def test_a_json_column_holds_the_same_text_on_every_path(tmp_path: Path, protocol_out: Any, value: bytes) -> None:
    """DuckDB keeps JSON text as given, so the merge minifies every JSON value (`json_value`): the source's text
    (typed paths) and orjson's re-serialization (general path) land spelled alike."""
    properties = {"id": {"type": "integer"}, "doc": {"type": "object"}}
    lines = [_line(b'{"id":1,"doc":%s}' % value)]
    landed = {path: land(tmp_path, path, catalog(properties=properties), lines)[1] for path in PATHS}
    assert landed["tsv"][0]["doc"] == landed["csv"][0]["doc"], "the typed paths differ"
    assert landed["csv"][0]["doc"] == landed["untyped"][0]["doc"]
