"""Turning records into typed rows: coercion per logical type, recorded changes, columns added and widened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pytest
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.names import ColumnNamer
from dockyard_runtime.sql.normalize import NULL, Batch, Column, TableShape
from dockyard_runtime.sql.types import LogicalType

T = LogicalType
SYNC_ID = 42


def make_shape(**declared: LogicalType) -> TableShape:
    namer = ColumnNamer()
    columns = [Column(field=f, name=namer.name_for(f), type=t, declared=True) for f, t in declared.items()]
    return TableShape(columns, namer.name_for)


def normalize(shape: TableShape, *datas: dict[str, Any], upstream: list[Any] | None = None) -> Batch:
    records: list[Record] = [(data, 1000 + n, upstream) for n, data in enumerate(datas)]
    return shape.normalize(records, 0, SYNC_ID)


def as_dicts(batch: Batch) -> list[dict[str, Any]]:
    """Each row as {column name: value}, NULL as None, plus `_meta` (parsed) and `_seq`."""
    out = []
    for row in batch.row_values():
        assert len(row) == len(batch.columns) + 3
        values = {c.name: (None if v is NULL else v) for c, v in zip(batch.columns, row, strict=False)}
        values["_seq"] = row[-2]
        values["_meta"] = None if row[-1] is NULL else orjson.loads(row[-1])
        out.append(values)
    return out


def one(kind: LogicalType, value: Any) -> tuple[Any, Any]:
    """(value written, meta) for one value in a declared column of `kind`."""
    (row,) = as_dicts(normalize(make_shape(v=kind), {"v": value}))
    return row["v"], row["_meta"]


def nulled(field: str) -> dict[str, str]:
    return {"field": field, "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}


@pytest.mark.parametrize(
    ("kind", "value", "written"),
    [
        (T.BOOLEAN, True, True),
        (T.BOOLEAN, False, False),
        (T.INTEGER, 7, 7),
        (T.INTEGER, -(2**63), -(2**63)),
        (T.INTEGER, 7.0, 7),
        (T.INTEGER, Decimal("7"), 7),
        (T.BIG_INTEGER, 2**70, 2**70),
        (T.NUMBER, 1.5, 1.5),
        (T.NUMBER, 3, 3),
        (T.NUMBER, Decimal("0.10000000000000000000001"), Decimal("0.10000000000000000000001")),
        (T.NUMBER, "2.50", Decimal("2.50")),
        (T.STRING, "text", "text"),
        (T.STRING, "", ""),
        (T.STRING, 12, "12"),
        (T.STRING, 1.5, "1.5"),
        (T.STRING, Decimal("1.10"), "1.10"),
        (T.STRING, True, "true"),
        (T.STRING, {"a": [1, None]}, '{"a":[1,null]}'),
        (T.STRING, "日本 🚀", "日本 🚀"),
        (T.JSON, {"a": {"b": [1, 2.5, Decimal("3.5"), "x"]}}, '{"a":{"b":[1,2.5,3.5,"x"]}}'),
        (T.JSON, "text", '"text"'),
        (T.JSON, 5, "5"),
        (T.JSON, [], "[]"),
    ],
)
def test_coercion_of_each_logical_type(kind: LogicalType, value: Any, written: Any) -> None:
    out, meta = one(kind, value)
    assert out == written
    assert type(out) is type(written)
    assert meta is None


UTC = dt.timezone.utc


def _read_iso(kind: LogicalType, text: str) -> Any:
    """How an engine reads the ISO text written for a temporal column."""
    text = text.replace("Z", "+00:00")
    if kind is T.DATE:
        return dt.date.fromisoformat(text)
    if kind in (T.TIME, T.TIME_TZ):
        return dt.time.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace(" ", "T"))


@pytest.mark.parametrize(
    ("kind", "value", "meaning"),
    [
        (T.DATE, "2024-02-29", dt.date(2024, 2, 29)),
        (T.TIME, "10:11:12", dt.time(10, 11, 12)),
        (T.TIME, "10:11:12.123456", dt.time(10, 11, 12, 123456)),
        (T.TIME_TZ, "10:11:12Z", dt.time(10, 11, 12, tzinfo=UTC)),
        (T.TIME_TZ, "10:11:12+02:00", dt.time(10, 11, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        (T.TIMESTAMP, "2024-01-01 10:00:00", dt.datetime(2024, 1, 1, 10)),
        (T.TIMESTAMP, "2024-01-01T10:00:00.5", dt.datetime(2024, 1, 1, 10, 0, 0, 500000)),
        (T.TIMESTAMP_TZ, "2024-01-01T10:00:00Z", dt.datetime(2024, 1, 1, 10, tzinfo=UTC)),
        (T.TIMESTAMP_TZ, "2024-01-01T10:00:00.123456789Z", dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        (T.TIMESTAMP_TZ, "2024-01-01T10:00:00-05:00", dt.datetime(2024, 1, 1, 15, tzinfo=UTC)),
        (T.TIMESTAMP_TZ, "2024-01-01", dt.datetime(2024, 1, 1)),
    ],
)
def test_coercion_of_temporal_types(kind: LogicalType, value: str, meaning: Any) -> None:
    out, meta = one(kind, value)
    assert type(out) is str
    assert _read_iso(kind, out) == meaning
    assert meta is None


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (T.BOOLEAN, "true"),
        (T.BOOLEAN, 1),
        (T.INTEGER, "seven"),
        (T.INTEGER, True),
        (T.INTEGER, {"a": 1}),
        (T.NUMBER, "abc"),
        (T.NUMBER, "NaN"),
        (T.NUMBER, "-Infinity"),
        (T.NUMBER, False),
        (T.NUMBER, [1]),
        (T.DATE, "2024-02-30"),
        (T.DATE, 20240101),
        (T.TIME, "25:00:00"),
        (T.TIMESTAMP, "yesterday"),
        (T.TIMESTAMP_TZ, "2024-13-01T00:00:00Z"),
        (T.TIMESTAMP_TZ, 1_700_000_000),
        (T.TIMESTAMP_TZ, "0000-01-01T00:00:00Z"),
    ],
)
def test_declared_mismatch_is_nulled_with_a_change_naming_the_field(kind: LogicalType, value: Any) -> None:
    shape = make_shape(the_field=kind)
    (row,) = as_dicts(normalize(shape, {"the_field": value}))
    assert row["the_field"] is None
    assert row["_meta"] == {"changes": [nulled("the_field")], "sync_id": SYNC_ID}
    assert shape.columns[0].type is kind, "a declared column never widens for a non-numeric mismatch"


def test_declared_integer_accepts_integer_strings() -> None:
    assert one(T.INTEGER, "42") == (42, None)
    assert one(T.INTEGER, "-7") == (-7, None)


def test_huge_integers_widen_beyond_what_a_decimal_column_holds() -> None:
    shape = make_shape(n=T.INTEGER)
    batch = normalize(shape, {"n": 1}, {"n": 2**64}, {"n": 10**40})
    assert shape.columns[0].type is T.NUMBER
    assert batch.widened == {"n": (T.INTEGER, T.NUMBER)}
    assert [r["n"] for r in as_dicts(batch)] == [1, 2**64, 10**40]


def test_big_integers_within_38_digits_stay_big_integer() -> None:
    shape = make_shape(n=T.INTEGER)
    batch = normalize(shape, {"n": 10**37}, {"n": -(10**38) + 1})
    assert shape.columns[0].type is T.BIG_INTEGER
    assert [r["n"] for r in as_dicts(batch)] == [10**37, -(10**38) + 1]


def test_integer_to_number_widening_mid_batch_recoerces_earlier_rows() -> None:
    shape = make_shape(n=T.INTEGER)
    batch = normalize(shape, {"n": 1}, {"n": 2.0}, {"n": 2.5}, {"n": Decimal("3")})
    assert shape.columns[0].type is T.NUMBER
    assert batch.widened == {"n": (T.INTEGER, T.NUMBER)}
    assert [r["n"] for r in as_dicts(batch)] == [1, 2.0, 2.5, Decimal("3")]
    assert all(r["_meta"] is None for r in as_dicts(batch))


def test_new_field_mid_batch_adds_a_column_and_pads_earlier_rows() -> None:
    shape = make_shape(id=T.INTEGER)
    batch = normalize(shape, {"id": 1}, {"id": 2, "Nick Name": "bob"}, {"id": 3, "score": 1.5})
    assert [(c.field, c.name, c.type, c.declared) for c in batch.added] == [
        ("Nick Name", "nick_name", T.STRING, False),
        ("score", "score", T.NUMBER, False),
    ]
    rows = as_dicts(batch)
    assert [(r["id"], r["nick_name"], r["score"]) for r in rows] == [(1, None, None), (2, "bob", None), (3, None, 1.5)]
    assert [r["_seq"] for r in rows] == [0, 1, 2]


def test_new_field_first_seen_as_null_then_with_values() -> None:
    shape = make_shape()
    batch = normalize(shape, {"x": None}, {"x": "a"})
    assert [r["x"] for r in as_dicts(batch)] == [None, "a"]


@pytest.mark.parametrize(
    ("values", "kind", "written"),
    [
        ([1, 2**64], T.BIG_INTEGER, [1, 2**64]),
        ([1, 2.5], T.NUMBER, [1, 2.5]),
        ([1, "x"], T.STRING, ["1", "x"]),
        ([True, 1], T.STRING, ["true", "1"]),
        ([1.5, "x", True], T.STRING, ["1.5", "x", "true"]),
        (["a", {"k": 1}], T.JSON, ['"a"', '{"k":1}']),
        ([1, [1, 2]], T.JSON, ["1", "[1,2]"]),
        ([{"k": 1}, 5], T.JSON, ['{"k":1}', "5"]),
    ],
)
def test_inferred_columns_widen_freely(values: list[Any], kind: LogicalType, written: list[Any]) -> None:
    shape = make_shape()
    batch = normalize(shape, *({"v": v} for v in values))
    assert shape.columns[0].type is kind
    rows = as_dicts(batch)
    assert [r["v"] for r in rows] == written
    assert [type(r["v"]) for r in rows] == [type(w) for w in written]
    assert all(r["_meta"] is None for r in rows)


def test_inferred_column_keeps_its_type_across_batches() -> None:
    shape = make_shape()
    normalize(shape, {"v": "x"})
    batch = normalize(shape, {"v": 5})
    assert batch.added == [] and batch.widened == {}
    assert as_dicts(batch)[0]["v"] == "5"


def test_nul_bytes_are_stripped_and_recorded() -> None:
    shape = make_shape(s=T.STRING, j=T.JSON)
    (row,) = as_dicts(normalize(shape, {"s": "a\x00b", "j": {"k": "c\x00d", "e\x00": 1}, "inferred": "x\x00"}))
    assert row["s"] == "ab"
    assert orjson.loads(row["j"]) == {"k": "cd", "e": 1}
    assert row["inferred"] == "x"
    assert row["_meta"]["changes"] == [
        {"field": f, "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"} for f in ("s", "j", "inferred")
    ]


def test_upstream_changes_are_kept_first() -> None:
    upstream = [{"field": "big", "change": "NULLED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}]
    shape = make_shape(n=T.INTEGER)
    rows = as_dicts(normalize(shape, {"n": "bad"}, {"n": 1}, upstream=upstream))
    assert rows[0]["_meta"] == {"changes": [*upstream, nulled("n")], "sync_id": SYNC_ID}
    assert rows[1]["_meta"] == {"changes": upstream, "sync_id": SYNC_ID}
    assert upstream == [{"field": "big", "change": "NULLED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}], "not mutated"


def test_several_failures_in_one_record() -> None:
    shape = make_shape(a=T.BOOLEAN, b=T.DATE, c=T.STRING)
    (row,) = as_dicts(normalize(shape, {"a": "x", "b": "y", "c": "ok"}))
    assert row["_meta"]["changes"] == [nulled("a"), nulled("b")]
    assert row["c"] == "ok"


def test_csv_keeps_empty_strings_apart_from_nulls() -> None:
    shape = make_shape(s=T.STRING, n=T.NUMBER, b=T.BOOLEAN)
    batch = normalize(shape, {"s": "", "n": None, "b": False}, {"s": None, "n": 0, "b": None}, {"s": 'q"u,o\nte'})
    assert batch.to_csv() == b'"",,False,1000,0,\n,0,,1001,1,\n"q""u,o\nte",,,1002,2,\n'


def test_json_with_integers_beyond_64_bits() -> None:
    out, meta = one(T.JSON, {"big": 2**70, "n": [Decimal("1.5")]})
    assert orjson.loads(out.replace(str(2**70), '"big"')) == {"big": "big", "n": [1.5]}
    assert str(2**70) in out
    assert meta is None


SAMPLES: dict[LogicalType, list[Any]] = {
    T.STRING: ['q"u,o\nte', "", "日本", None, 5, "x\x00", {"k": 1}, True],
    T.INTEGER: [1, -(2**63), None, 2**63, 1.0, "7", True, "x"],
    T.NUMBER: [1.5, 2, Decimal("0.1"), None, "3.5", False, "nan"],
    T.BOOLEAN: [True, False, None, 1, "true"],
    T.JSON: [{"a": [1]}, [], "s", None, 3, Decimal("1.5"), {"n": "\x00"}, {"big": 2**64}],
    T.DATE: ["2024-01-31", None, "2024-02-30", "2024-01-31T00:00:00", 5],
    T.TIME: ["10:00:00", "10:00:00.5Z", None, "25:00:00", "10:00"],
    T.TIME_TZ: ["10:00:00+02:00", "10:00:00Z", None, "nope"],
    T.TIMESTAMP: ["2024-01-01T00:00:00", "2024-01-01 10:00:00.123", None, "2024-01-01T25:00:00", "2024-01-01"],
    T.TIMESTAMP_TZ: ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123456789+05:30", None, "0000-01-01T00:00:00Z"],
}


def _run(monkeypatch: pytest.MonkeyPatch, fast: bool, kinds: dict[str, LogicalType], datas: list[Any]) -> Any:
    from dockyard_runtime.sql import normalize as module

    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(module, "fast_columns", lambda *args: None)
        shape = make_shape(**kinds)
        batch = normalize(shape, *datas)
        used_fast_path = batch.columnar is not None
        return (
            [(c.name, c.type) for c in shape.columns],
            batch.row_values(),
            batch.to_csv(),
            batch.widened,
            used_fast_path,
        )


@pytest.mark.parametrize("seed", range(40))
def test_column_fast_path_agrees_with_the_general_path(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    import random

    rng = random.Random(seed)
    kinds = {f"c{n}": rng.choice(list(SAMPLES)) for n in range(rng.randint(1, 5))}
    clean = rng.random() < 0.6  # most batches hold only values the fast path accepts
    datas = []
    for _ in range(rng.randint(0, 30)):
        row = {}
        for field, kind in kinds.items():
            pool = SAMPLES[kind][:3] if clean else SAMPLES[kind]
            if rng.random() < 0.9:
                row[field] = rng.choice(pool)
        datas.append(row)
    *expected, general_used_fast = _run(monkeypatch, False, kinds, datas)
    *result, used_fast = _run(monkeypatch, True, kinds, datas)
    assert not general_used_fast
    assert result == expected
    if clean and datas and all(k not in (T.DATE, T.BIG_INTEGER) for k in kinds.values()):
        assert used_fast, "a batch of plain values takes the column-wise path"


def test_loses_precision_flags_what_a_double_cannot_hold() -> None:
    from decimal import Decimal

    from dockyard_runtime.sql.normalize import loses_precision

    assert not loses_precision(2**53) and loses_precision(2**53 + 1) and loses_precision(-(2**70))
    assert not loses_precision(Decimal("0.1")) and loses_precision(Decimal("1.00000000000000000001"))
    assert not loses_precision(1e300)
