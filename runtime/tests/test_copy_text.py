"""PostgreSQL's COPY text format as the SQL loader renders it, for both the column-wise and the general path.

The unit tests decode the rendered text with a small reference reader written from PostgreSQL's documentation
(`\\N` = NULL, backslash escapes, tab between fields, newline between rows), so they check the format itself and
not the renderer's own idea of it. The last test loads the text into a real PostgreSQL with COPY and reads it back.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql import normalize as normalize_module
from dockyard_runtime.sql.columnar import columns_to_text, fast_columns
from dockyard_runtime.sql.loader import STAGE_EXTRA
from dockyard_runtime.sql.names import ColumnNamer
from dockyard_runtime.sql.normalize import Batch, Column, TableShape
from dockyard_runtime.sql.types import LogicalType

T = LogicalType
SYNC_ID = 42
EMITTED = 1_700_000_000_000

Build = Callable[..., Batch]

# -- a reference reader of the COPY text format ----------------------------------------------------------------

_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def decode_field(raw: str) -> str | None:
    """One field as PostgreSQL's COPY FROM (text format) reads it."""
    if raw == "\\N":
        return None
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        assert i + 1 < len(raw), f"a field ends in a lone backslash: {raw!r}"
        nxt = raw[i + 1]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(raw) and j < i + 4 and raw[j] in "01234567":
                j += 1
            out.append(chr(int(raw[i + 1 : j], 8)))
            i = j
        else:  # "\\" and any other character stand for that character
            out.append(nxt)
            i += 2
    return "".join(out)


def raw_rows(data: bytes) -> list[list[str]]:
    """The rendered rows split as COPY splits them: rows end in newline, fields are separated by tabs."""
    text = data.decode("utf-8")
    if not text:
        return []
    assert text.endswith("\n"), "every row, the last one included, ends in a newline"
    assert "\r" not in text, "a raw carriage return would end a row early"
    return [line.split("\t") for line in text[:-1].split("\n")]


def cells(batch: Batch) -> list[list[str | None]]:
    rows = raw_rows(batch.to_text())
    width = len(batch.columns) + len(STAGE_EXTRA)
    assert all(len(row) == width for row in rows), rows
    return [[decode_field(field) for field in row] for row in rows]


def column(batch: Batch, name: str) -> list[str | None]:
    i = [c.name for c in batch.columns].index(name)
    return [row[i] for row in cells(batch)]


def raw_column(batch: Batch, name: str) -> list[str]:
    i = [c.name for c in batch.columns].index(name)
    return [row[i] for row in raw_rows(batch.to_text())]


# -- building batches on either path ---------------------------------------------------------------------------


def make_shape(declared: dict[str, LogicalType]) -> TableShape:
    namer = ColumnNamer()
    columns = [Column(field=f, name=namer.name_for(f), type=t, declared=True) for f, t in declared.items()]
    return TableShape(columns, namer.name_for)


def records_of(datas: list[dict[str, Any]], upstream: list[Any] | None = None) -> list[Record]:
    return [(data, EMITTED + n, upstream) for n, data in enumerate(datas)]


@pytest.fixture(params=["columnar", "general"])
def build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Build:
    """Normalize records on the column-wise path, or (with `fast_columns` switched off) on the general path."""
    columnar = request.param == "columnar"
    if not columnar:
        monkeypatch.setattr(normalize_module, "fast_columns", lambda *args: None)

    def make(declared: dict[str, LogicalType], datas: list[dict[str, Any]]) -> Batch:
        batch = make_shape(declared).normalize(records_of(datas), 0, SYNC_ID)
        assert (batch.columnar is not None) == columnar, "the batch took the other path"
        return batch

    return make


# -- unit tests ------------------------------------------------------------------------------------------------


def test_null_and_empty_string_are_distinct(build: Build) -> None:
    batch = build({"s": T.STRING}, [{"s": None}, {"s": ""}, {"s": "x"}, {}])
    assert raw_column(batch, "s") == ["\\N", "", "x", "\\N"]
    assert column(batch, "s") == [None, "", "x", None]


STRINGS = [
    ("tab\there", "tab\\there"),
    ("two\nlines", "two\\nlines"),
    ("cr\ronly and crlf\r\n", "cr\\ronly and crlf\\r\\n"),
    ("back\\slash", "back\\\\slash"),
    ("\\N", "\\\\N"),  # the text of a NULL marker is data, not NULL
    ("\\.", "\\\\."),  # nor is the old end-of-data marker
    ("ends in a backslash\\", "ends in a backslash\\\\"),
    ("\\t is not a tab", "\\\\t is not a tab"),
    ("\"double\" and 'single' quotes", "\"double\" and 'single' quotes"),
    ("héllo ☃ 𝄞 日本語", "héllo ☃ 𝄞 日本語"),
    ("\x01\x0b\x0c\x7f", "\x01\x0b\x0c\x7f"),  # other control characters are plain data
    ("", ""),
]


def test_special_characters_are_escaped_and_read_back(build: Build) -> None:
    values = [v for v, _ in STRINGS]
    batch = build({"s": T.STRING}, [{"s": v} for v in [*values, None]])
    assert raw_column(batch, "s") == [r for _, r in STRINGS] + ["\\N"]
    assert column(batch, "s") == [*values, None]


def test_a_column_without_special_characters_goes_out_unchanged(build: Build) -> None:
    values = ['"quoted"', "it's", "ünïcödé ☃", "a,b;c", ""]
    batch = build({"s": T.STRING, "other": T.STRING}, [{"s": v, "other": "x\ty"} for v in values])
    assert raw_column(batch, "s") == values
    assert raw_column(batch, "other") == ["x\\ty"] * len(values)


def test_booleans_are_t_and_f(build: Build) -> None:
    batch = build({"b": T.BOOLEAN}, [{"b": True}, {"b": False}, {"b": None}])
    assert raw_column(batch, "b") == ["t", "f", "\\N"]


def test_integers_and_numbers_keep_their_exact_values(build: Build) -> None:
    ints = [0, -(2**63), 2**63 - 1, None, 42]
    numbers: list[Any] = [0.1, -1.5e-07, 1e16, 12345678901234567890123, Decimal("1.000000000000000000001")]
    batch = build({"i": T.INTEGER, "n": T.NUMBER}, [{"i": i, "n": n} for i, n in zip(ints, numbers, strict=True)])
    assert column(batch, "i") == ["0", str(-(2**63)), str(2**63 - 1), None, "42"]
    read_numbers = column(batch, "n")
    assert None not in read_numbers
    for text, value in zip(read_numbers, numbers, strict=True):
        assert text is not None
        if isinstance(value, float):
            assert float(text) == value, text
        else:
            assert Decimal(text) == value, text


JSON_VALUES: list[Any] = [
    {
        "quote": 'say "hi"',
        "path": "C:\\temp\\new",
        "breaks": "a\nb\r\tc",
        "unicode": "☃ 𝄞",
        "list": [1, 2.5, None, True, False],
        "nested": {"k\\ey": ['\\"', "\\\\"]},
    },
    'a top-level string with a \\ backslash and a " quote',
    [],
    None,
    3,
]


def test_json_text_is_escaped_so_the_original_json_reads_back(build: Build) -> None:
    batch = build({"j": T.JSON}, [{"j": v} for v in JSON_VALUES])
    raw = raw_column(batch, "j")
    # JSON escapes a quote as \" and a backslash as \\; COPY text doubles each of those backslashes again
    assert '"say \\\\"hi\\\\""' in raw[0]
    assert '"C:\\\\\\\\temp\\\\\\\\new"' in raw[0]
    assert raw[3] == "\\N"
    read = column(batch, "j")
    assert [None if text is None else orjson.loads(text) for text in read] == JSON_VALUES


def test_trailing_columns_hold_emitted_at_sequence_and_meta(build: Build) -> None:
    batch = build({"s": T.STRING}, [{"s": "a"}, {"s": "b"}])
    assert [row[-3:] for row in cells(batch)] == [[str(EMITTED), "0", None], [str(EMITTED + 1), "1", None]]


def test_meta_json_with_backslashes_reads_back() -> None:
    """Changes (a failed coercion, and upstream ones naming an awkward field) go into the meta JSON column."""
    upstream = [{"field": 'we"ird\\name\there', "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]
    records: list[Record] = [({"n": "not a number"}, EMITTED, upstream), ({"n": 3}, EMITTED + 1, None)]
    batch = make_shape({"n": T.INTEGER}).normalize(records, 10, SYNC_ID)
    assert batch.columnar is None
    first, second = cells(batch)
    assert first[:3] == [None, str(EMITTED), "10"]
    assert first[3] is not None
    assert orjson.loads(first[3]) == {
        "changes": [*upstream, {"field": "n", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}],
        "sync_id": SYNC_ID,
    }
    assert second == ["3", str(EMITTED + 1), "11", None]


def test_columns_to_text_of_fast_columns_matches_the_row_rendering_of_the_same_values() -> None:
    declared = {"s": T.STRING, "i": T.INTEGER, "n": T.NUMBER, "b": T.BOOLEAN, "j": T.JSON, "ts": T.TIMESTAMP_TZ}
    datas: list[dict[str, Any]] = [
        {"s": "a\tb\\c", "i": 1, "n": 0.25, "b": True, "j": {"x": 'q"\\'}, "ts": "2024-01-02T03:04:05Z"},
        {"s": None, "i": None, "n": None, "b": None, "j": None, "ts": None},
        {"s": "", "i": -5, "n": Decimal("1.5"), "b": False, "j": [1, "\n"], "ts": "2024-01-02 03:04:05.5+02:00"},
    ]
    kinds = list(declared.values())
    columns = fast_columns(list(declared), kinds, records_of(datas), 7)
    assert columns is not None
    text = columns_to_text(kinds, columns)
    shape_columns = make_shape(declared).columns
    rows = Batch(columns=shape_columns, rows=[], columnar=columns).row_values()
    assert text.encode() == Batch(columns=shape_columns, rows=rows).to_text()
    first = raw_rows(text.encode())[0]
    assert [decode_field(f) for f in first] == [
        "a\tb\\c",
        "1",
        "0.25",
        "t",
        '{"x":"q\\"\\\\"}',
        "2024-01-02T03:04:05Z",
        str(EMITTED),
        "7",
        None,
    ]


def test_an_empty_batch_renders_nothing() -> None:
    kinds = [T.STRING, T.INTEGER]
    columns = fast_columns(["s", "i"], kinds, [], 0)
    assert columns is not None
    assert columns_to_text(kinds, columns) == ""
    assert Batch(columns=make_shape({"s": T.STRING}).columns, rows=[]).to_text() == b""


# -- round trip through PostgreSQL -----------------------------------------------------------------------------

PG_TYPES = {
    "s": (T.STRING, "TEXT"),
    "i": (T.INTEGER, "BIGINT"),
    "f": (T.NUMBER, "DOUBLE PRECISION"),
    "n": (T.NUMBER, "NUMERIC"),
    "b": (T.BOOLEAN, "BOOLEAN"),
    "j": (T.JSON, "JSONB"),
    "ts": (T.TIMESTAMP_TZ, "TIMESTAMPTZ"),
}
PG_VALUES: dict[str, list[Any]] = {
    "s": [
        "plain",
        "",
        None,
        "tab\there\nnew\rline\r\n",
        "back\\slash \\N \\. ends\\",
        "quotes \"double\" 'single' ☃ 𝄞 日本 \x01\x0b",
    ],
    "i": [1, -(2**63), 2**63 - 1, None, 0, 42],
    "f": [0.1, -1.5e-07, 1e16, 1.7976931348623157e308, None, 123.456],
    "n": [Decimal("12345678901234567890.123456789"), 10**30, Decimal("-0.000001"), 0.5, None, 7],
    "b": [True, False, None, True, False, True],
    "j": [JSON_VALUES[0], JSON_VALUES[1], [], None, {"a": {"b": [1, '\\"', "\t"]}}, 3],
    "ts": [
        "2024-02-29T23:59:59.999999Z",
        "1999-12-31 23:00:00-05:30",
        "2024-01-01T00:00:00+00:00",
        None,
        "1970-01-01T00:00:00Z",
        "2024-06-30T12:00:00.5+14:00",
    ],
}


def _expected(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "n" and isinstance(value, float):
        return Decimal(repr(value))
    if name == "ts":
        return dt.datetime.fromisoformat(value)
    return value


@pytest.fixture
def pg(postgres_db: dict[str, Any]) -> Iterator[Any]:
    """A psycopg2 connection to a fresh database (fixtures registered repo-wide by the root conftest.py)."""
    import psycopg2

    connection = psycopg2.connect(
        host=postgres_db["host"],
        port=postgres_db["port"],
        dbname=postgres_db["database"],
        user=postgres_db["username"],
        password=postgres_db["password"],
    )
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["columnar", "general", "coerced"])
def test_copy_text_round_trips_through_postgresql(pg: Any, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    count = len(PG_VALUES["s"])
    datas = [{name: values[n] for name, values in PG_VALUES.items()} for n in range(count)]
    if path == "general":
        monkeypatch.setattr(normalize_module, "fast_columns", lambda *args: None)
    elif path == "coerced":
        datas[-1]["i"] = "42"  # a declared integer given as a string: the whole batch takes the general path
    batch = make_shape({name: kind for name, (kind, _) in PG_TYPES.items()}).normalize(records_of(datas), 0, SYNC_ID)
    assert (batch.columnar is not None) == (path == "columnar")

    names = [c.name for c in batch.columns]
    assert names == list(PG_TYPES)
    columns = ", ".join(f'"{name}"' for name in [*names, *STAGE_EXTRA])
    body = ", ".join(f'"{name}" {sql}' for name, (_, sql) in PG_TYPES.items())
    with pg.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(f"CREATE TABLE t ({body}, _dy_emitted_at BIGINT, _dy_seq BIGINT, _dy_meta TEXT)")
        cursor.copy_expert(f"COPY t ({columns}) FROM STDIN", io.BytesIO(batch.to_text()))
        cursor.execute(f"SELECT {columns} FROM t ORDER BY _dy_seq")
        rows = cursor.fetchall()

    assert len(rows) == count
    for n, row in enumerate(rows):
        expected = [_expected(name, PG_VALUES[name][n]) for name in names] + [EMITTED + n, n, None]
        assert list(row) == expected, f"row {n}"
        assert type(row[names.index("f")]) is (float if PG_VALUES["f"][n] is not None else type(None))
