"""Typed records on destination-postgres (COPY text into a real, throwaway PostgreSQL) against the general path.

The typed path hands PostgreSQL number literals and JSON values as the source wrote them: a NUMERIC column then
keeps a literal's digits and scale (`1.50`), where the general path writes the float it parsed (`1.5`), and JSONB
re-spells either. So rows are compared as values (Decimal compares numerically, JSONB is read back parsed), and one
test pins the digits a NUMERIC column keeps.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from destination_postgres.destination import DestinationPostgres
from dockyard_runtime.destination.catalog import StreamKey
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.sql import loader as loader_module
from dockyard_runtime.sql import typed as typed_module
from dockyard_runtime.sql.loader import SqlLoader

pytestmark = pytest.mark.postgres

SCHEMA: dict[str, Any] = {
    "id": {"type": "integer"},
    "updated": {"type": ["null", "integer"]},
    "amount": {"type": ["null", "number"]},
    "flag": {"type": ["null", "boolean"]},
    "label": {"type": ["null", "string"]},
    "at_tz": {"type": ["null", "string"], "format": "date-time"},
    "at_local": {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_without_timezone",
    },
    "day": {"type": ["null", "string"], "format": "date"},
    "clock": {"type": ["null", "string"], "format": "time"},
    "clock_tz": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_with_timezone"},
    "doc": {"type": ["null", "object"]},
    "list": {"type": ["null", "array"]},
}


@contextmanager
def watched(*, typed: bool) -> Iterator[Counter[str]]:
    """Counts typed and dict records handed to the loader, and batches that went typed all the way ("typed
    batches"); `typed=False` turns typed decoding off (the general path and nothing else, the reference)."""
    calls: Counter[str] = Counter()
    original = WriteLoop._stage
    original_columns = typed_module.typed_columns

    def columns(*args: Any, **kwargs: Any) -> list[list[Any]] | None:
        out = original_columns(*args, **kwargs)
        calls["typed batches"] += out is not None
        return out

    def stage(self: WriteLoop, key: StreamKey) -> None:
        for data, _, _ in self.buffers[key]:
            calls["dict" if type(data) is dict else "typed"] += 1
        original(self, key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WriteLoop, "_stage", stage)
        patch.setattr(loader_module, "typed_columns", columns)
        if not typed:
            patch.setattr(SqlLoader, "record_decoder", lambda self, config: None)
        yield calls


def line(data: bytes, emitted_at: int) -> bytes:
    """A RECORD line holding `data` as written (number literals keep their spelling)."""
    return b'{"type":"RECORD","record":{"stream":"things","emitted_at":%d,"data":%s}}' % (emitted_at, data)


def state(n: int) -> bytes:
    return (
        b'{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"things"},'
        b'"stream_state":{"n":%d}}}}' % n
    )


def catalog(mode: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "stream": {"name": "things", "json_schema": {"type": "object", "properties": SCHEMA}},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "generation_id": 1,
        "minimum_generation_id": 0,
        "sync_id": 1,
    }
    if mode == "append_dedup":
        entry["primary_key"] = [["id"]]
        entry["cursor_field"] = ["updated"]
    return {"streams": [entry]}


class Database:
    """One fresh database of the session's throwaway cluster, written by destination-postgres."""

    def __init__(self, db: dict[str, Any], schema: str) -> None:
        self.db = db
        self.config: dict[str, Any] = {**db, "schema": schema, "ssl_mode": "disable", "commit_every_records": 5}

    def write(self, catalog: dict[str, Any], lines: list[bytes]) -> None:
        DestinationPostgres().write(self.config, catalog, iter(lines), io.BytesIO())

    def query(self, sql: str) -> list[dict[str, Any]]:
        import psycopg2

        connection = psycopg2.connect(
            host=self.db["host"],
            port=self.db["port"],
            dbname=self.db["database"],
            user=self.db["username"],
            password=self.db["password"],
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute(sql)
                names = [d[0] for d in cursor.description or []]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def rows(self, table: str) -> list[dict[str, Any]]:
        schema = self.config["schema"]
        rows = self.query(f'SELECT * FROM "{schema}"."{table}" ORDER BY id, _airbyte_extracted_at')
        for row in rows:
            del row["_airbyte_raw_id"]
        return rows


# Batches of five records (a state commits each): some clean, some holding a record that needs the general path.
CLEAN = b'"flag":true,"label":"x","at_tz":"2024-01-01T12:00:00Z","day":"2024-02-29","clock":"23:59:59"'
DATAS: list[bytes] = [
    # a clean batch: every value fits as written
    b'{"id":1,"updated":1,"amount":1.50,%s,"doc":{"a":1.50,"b":[1e2,null,"t"]},"list":[1,2.50]}' % CLEAN,
    b'{"id":2,"updated":1,"amount":1e2,"label":"tab\\there\\nnew\\\\line \\\\N","doc":{},"list":[]}',
    b'{"id":3,"amount":12345678901234567890.123456789,"at_local":"2024-05-06T07:08:09.123456","clock_tz":"10:00:00+01:00"}',
    b'{"id":4,"amount":-0.0,"flag":false,"label":"","at_tz":"2024-06-30T23:59:59.5-07:00","doc":"text"}',
    b'{"id":5,"amount":null,"label":null,"doc":null,"list":null,"at_tz":null}',
    # falls back mid-batch: a numeric string, a new field, an integer in a boolean column
    b'{"id":6,"updated":2,"amount":0.10,"doc":{"k":1.10}}',
    b'{"id":7,"updated":"7","amount":2.5}',
    b'{"id":8,"amount":3.25,"extra":"a new field"}',
    b'{"id":9,"amount":1e-3,"flag":1,"label":"caf\\u00e9 \\ud83d\\ude80"}',
    b'{"id":10,"amount":9007199254740993,"doc":{"big":18446744073709551616}}',
    # clean again, now with the new column
    b'{"id":11,"amount":7.000,"extra":"again","list":[{"x":0.5}]}',
    b'{"id":12,"amount":1E+2,"extra":null,"clock":"12:00:00.123456"}',
    b'{"id":13,"amount":-123.456e-2,"at_local":"2024-01-01 12:00:00"}',
    b'{"id":14,"amount":1e300,"doc":{"deep":[[[{"e":-1.0e-5}]]]}}',
    b'{"id":1,"updated":1,"amount":99.990,"label":"id 1 again"}',
    # falls back: upstream changes, and a day that does not exist
    b'{"id":15,"amount":5,"day":"2023-02-29"}',
    b'{"id":16,"amount":6,"at_tz":"2024-02-30T00:00:00Z"}',
]


def lines_of(datas: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for n, data in enumerate(datas):
        out.append(line(data, 1_700_000_000_000 + n))
        if n % 5 == 4:
            out.append(state(n))
    upstream = (
        b'{"type":"RECORD","record":{"stream":"things","emitted_at":1700000000100,"data":{"id":17,"amount":1.50},'
        b'"meta":{"changes":[{"field":"label","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}]}}}'
    )
    return [*out, upstream, state(len(datas))]


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_the_typed_path_lands_the_rows_the_general_path_lands(
    postgres_db: dict[str, Any], protocol_out: Any, mode: str
) -> None:
    lines = lines_of(DATAS)
    landed: dict[bool, list[dict[str, Any]]] = {}
    for typed in (False, True):
        database = Database(postgres_db, f"typed_{typed}".lower())
        with watched(typed=typed) as calls:
            database.write(catalog(mode), lines)
        if typed:
            assert calls["typed"] >= 10 and calls["dict"] >= 3, f"the sync did not mix typed and dict records: {calls}"
            assert calls["typed batches"] == 2, f"the two clean batches went typed all the way: {calls}"
        else:
            assert calls["typed"] == calls["typed batches"] == 0
        landed[typed] = database.rows("things")

    assert landed[True] == landed[False], "the typed path lands other values"
    rows = landed[False]
    by_id = {r["id"]: r for r in rows}
    assert by_id[3]["amount"] == Decimal("12345678901234567890.123456789"), "an exact literal keeps its digits"
    assert by_id[10]["amount"] == 9007199254740993 and by_id[10]["doc"] == {"big": 18446744073709551616}
    assert by_id[7]["updated"] == 7 and by_id[9]["flag"] is None and by_id[16]["at_tz"] is None
    assert by_id[6]["doc"] == {"k": 1.1} and by_id[14]["doc"] == {"deep": [[[{"e": -1e-5}]]]}
    assert by_id[1]["label"] == "id 1 again", "the later of equal cursors wins, or comes last"
    assert by_id[2]["label"] == "tab\there\nnew\\line \\N"
    assert by_id[17]["_airbyte_meta"]["changes"][0]["field"] == "label"
    assert [r["id"] for r in rows].count(1) == (1 if mode == "append_dedup" else 2)
    assert len(rows) == 17 + (mode == "append")


def test_a_numeric_column_keeps_a_literals_digits_on_the_typed_path(
    postgres_db: dict[str, Any], protocol_out: Any
) -> None:
    """The typed path hands PostgreSQL the literal itself; the general path the float orjson read. Both are the
    same number, but only the literal keeps its scale, in NUMERIC and in JSONB alike."""
    datas = [b'{"id":1,"amount":1.50,"doc":{"x":1.50}}', b'{"id":2,"amount":0.10,"doc":{"x":1e2}}']
    lines = [line(data, 1_700_000_000_000) for data in datas] + [state(1)]
    texts: dict[bool, list[tuple[str, str]]] = {}
    for typed in (True, False):
        database = Database(postgres_db, f"digits_{typed}".lower())
        with watched(typed=typed) as calls:
            database.write(catalog("append"), lines)
        assert (calls["typed"], calls["typed batches"]) == ((2, 1) if typed else (0, 0))
        rows = database.query(f'SELECT amount::text AS a, doc::text AS d FROM "{database.config["schema"]}".things')
        texts[typed] = sorted((r["a"], r["d"]) for r in rows)
    assert texts[True] == [("0.10", '{"x": 100}'), ("1.50", '{"x": 1.50}')]
    assert texts[False] == [("0.1", '{"x": 100.0}'), ("1.5", '{"x": 1.5}')]
