"""Typed records (`sql.typed`) against the general path they stand in for.

The typed path may refuse anything: a record its decoder refuses goes on as a dict, and a batch `typed_columns`
refuses goes back to dicts (`as_records`) and takes `TableShape.normalize`. What it must never do is accept a
value and land something the general path would land differently. So every sample value of every logical type
goes through both: when the typed path accepts, its columns must equal the general path's (numbers compared as
numbers and JSON as parsed values, since the typed path keeps the source's spelling); when it declines, the dicts
it gives back must normalize exactly as the parsed line does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from dockyard_runtime.destination.envelope import DECODE_ERRORS
from dockyard_runtime.destination.input import DIGIT_MAP, LONG_RUN, parse_line
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.columnar import fast_columns
from dockyard_runtime.sql.normalize import NULL, Batch, Column, TableShape
from dockyard_runtime.sql.typed import AnyRecord, TypedShape, as_records, is_typed, typed_columns, typed_shape
from dockyard_runtime.sql.types import BIG_INTEGER_MAX, INT64_MAX, INT64_MIN, LogicalType

T = LogicalType
EMITTED = 1_700_000_000_000
FIRST_SEQ = 10
ABSENT = b""  # a sample that leaves the field out of the record

# -- sample values, as the JSON text a source writes -----------------------------------------------------------------

WRONG_TYPES = [b"null", ABSENT, b'"text"', b'""', b"5", b"-1.5", b"true", b"false", b"[1]", b"{}", b'{"a":1}']

STRINGS = [
    b'"plain"',
    b'"tab\\there"',
    b'"new\\nline\\r\\nand cr\\r"',
    b'"back\\\\slash and \\"quotes\\""',
    b'"\\\\N"',
    b'"\\\\"',
    b'"nul\\u0000byte"',
    b'"\\u0000"',
    '"café 🚀 日本語"'.encode(),
    b'"\\ud83d\\ude80 \\u00e9 \\u001f \\u007f"',
    b'"\\ufeffmarked"',
    b'"1700000000000"',
    b'"' + b"x" * 5_000 + b'"',
]
INTEGERS = [
    b"0",
    b"-0",
    b"42",
    b"-7",
    str(INT64_MAX).encode(),
    str(INT64_MIN).encode(),
    str(INT64_MAX + 1).encode(),
    str(INT64_MIN - 1).encode(),
    str(2**64).encode(),
    str(-(2**64)).encode(),
    b"1" + b"0" * 40,
    str(BIG_INTEGER_MAX).encode(),
    str(-BIG_INTEGER_MAX).encode(),
    str(BIG_INTEGER_MAX + 1).encode(),
    b"1.0",
    b"1e2",
    b"-0.0",
    b'"7"',
    b"9007199254740993",
]
NUMBERS = [
    b"0",
    b"-0",
    b"-0.0",
    b"1.50",
    b"1e2",
    b"1E+2",
    b"12e-5",
    b"0.1",
    b"-2.5",
    b"1e300",
    b"-1.5e+300",
    b"5e-324",
    b"123456789012345",
    b"12345678901234.5",
    b"1234567890123456",
    b"0.30000000000000004",
    b"3.14159265358979323846264338327950288",
    b"0.1000000000000000055511151231257827",
    b"1.7976931348623157e308",
    b"1e400",
    str(INT64_MAX).encode(),
    str(INT64_MIN).encode(),
    str(2**64).encode(),
    b"1" + b"0" * 40,
    b"9007199254740993",
    b'"1.5"',
    b'"NaN"',
]
BOOLEANS = [b"true", b"false", b"1", b"0", b'"true"']
DATES = [
    b'"2024-02-29"',
    b'"0001-01-01"',
    b'"9999-12-31"',
    b'"2023-02-29"',
    b'"2024-02-30"',
    b'"2024-13-01"',
    b'"2024-1-1"',
    b'"20240101"',
    b'"2024-01-01T00:00:00"',
    b'"2024-01-01\\n2024-01-02"',
    b"20240101",
]
TIMES = [
    b'"23:59:59"',
    b'"00:00:00"',
    b'"12:00:00.5"',
    b'"12:00:00.123456"',
    b'"12:00:00.123456789"',
    b'"12:00:00Z"',
    b'"12:00:00+01:00"',
    b'"12:00:00.5-07:30"',
    b'"24:00:00"',
    b'"25:00:00"',
    b'"12:60:00"',
    b'"12:00"',
    b'"12:00:00+0100"',
    b'"noon"',
]
TIMESTAMPS = [
    b'"2024-01-01T12:00:00Z"',
    b'"2024-01-01T12:00:00+02:00"',
    b'"2024-01-01 12:00:00"',
    b'"2024-01-01T12:00:00.5-07:00"',
    b'"2024-01-01T12:00:00.123456789Z"',
    b'"2024-02-29T23:59:59.999999+14:00"',
    b'"0001-01-01T00:00:00"',
    b'"2024-02-30T00:00:00Z"',
    b'"2024-01-01T25:00:00"',
    b'"2024-01-01T12:00"',
    b'"2024-01-01T12:00:00+0200"',
    b'"2024-01-01T12:00:00 +02:00"',
    b'"2024-01-01"',
    b'"yesterday"',
    b"1700000000",
]
JSONS = [
    b'{"a":[1,2.50,{"b":null}],"c":"x"}',
    b"[]",
    b"{}",
    b'"text"',
    b"5",
    b"1.50",
    b"true",
    b"[[1],[2,[3]]]",
    b'{ "spaced" : [ 1 , 2 ] }',
    b'{"esc":"\\u00e9\\n\\"q\\" \\\\ \\t","k\\"ey":1}',
    '{"raw":"é🚀"}'.encode(),
    b'{"x":1e300,"y":1E2,"z":-0.0}',
    b'{"big":18446744073709551616,"bigger":' + b"1" + b"0" * 40 + b"}",
    b'{"long":3.14159265358979323846264338327950288}',
    b'{"a":1,"a":2}',
    b'{"nul":"a\\u0000b"}',
    b'["\\u0000"]',
    b'{"\\u0000key":1}',
    b'{"deep":' + b"[" * 50 + b"1" + b"]" * 50 + b"}",
]
SAMPLES: dict[LogicalType, list[bytes]] = {
    T.STRING: STRINGS + WRONG_TYPES + [b"1e300", str(2**64).encode()],
    T.INTEGER: INTEGERS + WRONG_TYPES,
    T.BIG_INTEGER: INTEGERS + WRONG_TYPES,
    T.NUMBER: NUMBERS + WRONG_TYPES,
    T.BOOLEAN: BOOLEANS + WRONG_TYPES,
    T.DATE: DATES + WRONG_TYPES,
    T.TIME: TIMES + WRONG_TYPES,
    T.TIME_TZ: TIMES + WRONG_TYPES,
    T.TIMESTAMP: TIMESTAMPS + WRONG_TYPES,
    T.TIMESTAMP_TZ: TIMESTAMPS + WRONG_TYPES,
    T.JSON: JSONS + WRONG_TYPES,
}
# Whole data objects (the field is `v`): unknown fields, spellings of the key, whitespace.
ODD_DATA = [
    b'{"v":null,"other":1}',
    b'{"other":null}',
    b'{"V":null}',
    b'{"\\u0076":null}',
    b'{ "v" : null }',
    b'{"v":null,"v":null}',
]


def data_of(sample: bytes) -> bytes:
    return b"{}" if sample == ABSENT else b'{"v":%s}' % sample


# -- the two paths ---------------------------------------------------------------------------------------------------


def general_shape(fields: Sequence[str], kinds: Sequence[LogicalType], *, exact: bool, declared: bool) -> TableShape:
    columns = [Column(field=f, name=f, type=k, declared=declared) for f, k in zip(fields, kinds, strict=True)]
    return TableShape(columns, lambda name: name, exact_numbers=exact)


def general_columns(
    fields: Sequence[str], kinds: Sequence[LogicalType], records: list[Record], *, exact: bool, declared: bool = True
) -> tuple[list[list[Any]], Batch]:
    """What the general path makes of `records`, column-major with None for NULL (as `fast_columns` gives it)."""
    batch = general_shape(fields, kinds, exact=exact, declared=declared).normalize(records, FIRST_SEQ, None)
    if batch.columnar is not None:
        return batch.columnar, batch
    rows = [[None if v is NULL else v for v in row] for row in batch.rows]
    return [list(column) for column in zip(*rows, strict=True)], batch


def same_value(kind: LogicalType, typed: Any, general: Any, *, raw_json: bool) -> bool:
    if typed is None or general is None:
        return typed is None and general is None
    if kind is T.NUMBER:  # the typed path's literal (or, between general paths, the value) as a number
        return type(general) is not str and Decimal(str(typed)) == Decimal(str(general))
    if kind is T.JSON and raw_json:
        return bool(json.loads(typed) == json.loads(general))
    return type(typed) is type(general) and typed == general


def assert_same_columns(
    kinds: Sequence[LogicalType], typed: list[list[Any]], general: list[list[Any]], *, raw_json: bool, label: Any
) -> None:
    assert len(typed) == len(general) == len(kinds) + 3, label
    for n, kind in enumerate(kinds):
        for row, (t, g) in enumerate(zip(typed[n], general[n], strict=True)):
            assert same_value(kind, t, g, raw_json=raw_json), (
                f"{label}: column {n} ({kind.value}) row {row}: {t!r} {g!r}"
            )
    assert typed[len(kinds) :] == general[len(kinds) :], f"{label}: emitted_at, sequence or meta differ"


def decoded(shape: TypedShape, datas: Sequence[bytes]) -> list[AnyRecord]:
    """The records `shape` decodes (emitted_at follows the position); refusals must be `DECODE_ERRORS`."""
    records: list[AnyRecord] = []
    for n, data in enumerate(datas):
        try:
            records.append((shape.decode(data), EMITTED + n, None))
        except DECODE_ERRORS:
            continue
    return records


def parsed(datas: Sequence[bytes]) -> list[Record]:
    return [(parse_line(data), EMITTED + n, None) for n, data in enumerate(datas)]


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


# -- the property, one column per logical type -----------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "inferred"])
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "double"])
@pytest.mark.parametrize("kind", list(SAMPLES), ids=[k.value for k in SAMPLES])
def test_typed_values_equal_the_general_paths(kind: LogicalType, exact: bool, declared: bool) -> None:
    shape = typed_shape(("v",), (kind,), raw_json=True)
    assert shape is not None
    datas = [data_of(s) for s in SAMPLES[kind]] + ODD_DATA
    taken: list[bytes] = []  # samples the decoder and typed_columns both accept on their own
    for n, data in enumerate(datas):
        try:
            struct = shape.decode(data)
        except DECODE_ERRORS:
            continue  # the record goes on as the dict parse_line makes: the general path's own input
        record: AnyRecord = (struct, EMITTED + n, None)
        reference: list[Record] = [(parse_line(data), EMITTED + n, None)]
        back = as_records([record])
        assert back == [(without_nulls(reference[0][0]), EMITTED + n, None)], data
        general, batch = general_columns(["v"], [kind], reference, exact=exact, declared=declared)
        fallback = general_shape(["v"], [kind], exact=exact, declared=declared).normalize(back, FIRST_SEQ, None)
        assert fallback.to_csv() == batch.to_csv(), f"{data!r}: the dicts given back normalize differently"
        columns = typed_columns(shape, [record], FIRST_SEQ, exact_numbers=exact)
        if columns is None:
            continue
        taken.append(data)
        assert not batch.added and not batch.widened, f"{data!r}: typed, but the general path changes the table"
        assert_same_columns([kind], columns, general, raw_json=True, label=data)

    assert taken, "no sample took the typed path: the comparison checked nothing"
    # the accepted samples as one batch: still accepted, still equal
    records = decoded(shape, taken)
    assert is_typed(shape, records)
    columns = typed_columns(shape, records, FIRST_SEQ, exact_numbers=exact)
    assert columns is not None
    general, _ = general_columns(["v"], [kind], parsed(taken), exact=exact, declared=declared)
    assert_same_columns([kind], columns, general, raw_json=True, label="batch")


# What each type's typed path must accept (so a decoder that refused everything fails here) and refuse.
ACCEPTED = {
    T.STRING: [b'"tab\\there"', b'"\\\\N"', b"null", ABSENT],
    T.INTEGER: [str(INT64_MAX).encode(), str(INT64_MIN).encode(), b"-0"],
    T.BIG_INTEGER: [str(2**64).encode(), str(BIG_INTEGER_MAX).encode(), b"5"],
    T.NUMBER: [b"1.50", b"1e300", b"-0", b"null", ABSENT],
    T.BOOLEAN: [b"true", b"false"],
    T.DATE: [b'"2024-02-29"'],
    T.TIME: [b'"12:00:00.123456789"', b'"12:00:00Z"'],
    T.TIMESTAMP_TZ: [b'"2024-01-01T12:00:00Z"', b'"2024-01-01 12:00:00.5-07:00"'],
    T.JSON: [b'{"a":[1,2.50]}', b'"text"', b"null", b'{"big":18446744073709551616}'],
}
REFUSED = {
    T.STRING: [b"5", b"true", b"{}", b'"nul\\u0000byte"'],
    T.INTEGER: [str(INT64_MAX + 1).encode(), str(INT64_MIN - 1).encode(), b"1.0", b"1e2", b'"7"', b"true"],
    T.BIG_INTEGER: [str(BIG_INTEGER_MAX + 1).encode(), str(-BIG_INTEGER_MAX - 1).encode(), b"1.5", b"false"],
    T.NUMBER: [b'"1.5"', b"true", b"[1]", b"{}"],
    T.BOOLEAN: [b"1", b"0", b'"true"'],
    T.DATE: [b'"2023-02-29"', b'"2024-02-30"', b'"2024-1-1"', b'"2024-01-01T00:00:00"', b"20240101"],
    T.TIME: [b'"25:00:00"', b'"24:00:00"', b'"12:00"', b'"12:00:00+0100"'],
    T.TIMESTAMP_TZ: [b'"2024-02-30T00:00:00Z"', b'"2024-01-01T25:00:00"', b'"2024-01-01T12:00"', b"1700000000"],
    T.JSON: [b'{"nul":"a\\u0000b"}', b'{"\\u0000key":1}'],
}


def typed_accepts(kind: LogicalType, sample: bytes, *, exact: bool = True, raw_json: bool = True) -> bool:
    shape = typed_shape(("v",), (kind,), raw_json=raw_json)
    assert shape is not None
    try:
        struct = shape.decode(data_of(sample))
    except DECODE_ERRORS:
        return False
    return typed_columns(shape, [(struct, EMITTED, None)], 0, exact_numbers=exact) is not None


@pytest.mark.parametrize(("kind", "sample"), [(k, s) for k, samples in ACCEPTED.items() for s in samples])
def test_values_that_fit_their_column_take_the_typed_path(kind: LogicalType, sample: bytes) -> None:
    assert typed_accepts(kind, sample)


@pytest.mark.parametrize(("kind", "sample"), [(k, s) for k, samples in REFUSED.items() for s in samples])
def test_values_that_need_the_general_rules_are_refused(kind: LogicalType, sample: bytes) -> None:
    assert not typed_accepts(kind, sample)


def test_unknown_fields_are_refused_by_the_decoder() -> None:
    shape = typed_shape(("v",), (T.INTEGER,), raw_json=True)
    assert shape is not None
    assert shape.decode(b'{"v":1}').f0 == 1
    for data in (b'{"v":1,"w":2}', b'{"w":null}', b'{"V":1}'):
        with pytest.raises(msgspec.ValidationError):
            shape.decode(data)


# -- a wide table: every type in one record --------------------------------------------------------------------------

WIDE_FIELDS = ("s", "i", "bi", "n", "b", "d", "t", "ttz", "ts", "tstz", "j")
WIDE_KINDS = (
    T.STRING,
    T.INTEGER,
    T.BIG_INTEGER,
    T.NUMBER,
    T.BOOLEAN,
    T.DATE,
    T.TIME,
    T.TIME_TZ,
    T.TIMESTAMP,
    T.TIMESTAMP_TZ,
    T.JSON,
)


def wide_rows(*, raw_json: bool = True) -> list[bytes]:
    """Records mixing every type's accepted samples, each row a different combination, some fields absent."""
    pools = [[s for s in SAMPLES[k] if typed_accepts(k, s, raw_json=raw_json)] for k in WIDE_KINDS]
    rows = []
    for n in range(max(map(len, pools)) * 2):
        members = []
        for field, pool in zip(WIDE_FIELDS, pools, strict=True):
            sample = pool[(n * 7 + len(field)) % len(pool)]
            if sample != ABSENT:
                members.append(b'"%s":%s' % (field.encode(), sample))
        rows.append(b"{" + b",".join(reversed(members) if n % 2 else members) + b"}")
    return rows


@pytest.mark.parametrize("raw_json", [True, False], ids=["raw-json", "reserialized-json"])
def test_a_wide_batch_lands_what_the_general_path_lands(raw_json: bool) -> None:
    shape = typed_shape(WIDE_FIELDS, WIDE_KINDS, raw_json=raw_json)
    assert shape is not None
    rows = wide_rows(raw_json=raw_json)
    records = decoded(shape, rows)
    assert len(records) == len(rows), "every row holds only values of the right type"
    assert is_typed(shape, records)
    columns = typed_columns(shape, records, FIRST_SEQ, exact_numbers=True)
    assert columns is not None
    general, batch = general_columns(WIDE_FIELDS, WIDE_KINDS, parsed(rows), exact=True)
    assert not batch.added and not batch.widened
    assert_same_columns(WIDE_KINDS, columns, general, raw_json=raw_json, label="wide")
    assert columns[-2] == list(range(FIRST_SEQ, FIRST_SEQ + len(rows)))
    assert columns[-3] == [EMITTED + n for n in range(len(rows))]


def test_as_records_gives_back_what_parse_line_reads_but_nulls() -> None:
    """Explicit nulls and absent fields are alike to the general path (a known column skips a None value), so the
    dicts given back leave both out. A line holding a 16-digit run is read by parse_line with exact decimals,
    while `as_records` parses each value alone: those dicts may hold a float for a Decimal, the same number."""
    shape = typed_shape(WIDE_FIELDS, WIDE_KINDS, raw_json=True)
    assert shape is not None
    rows = [*wide_rows(), b'{"s":null,"j":null,"n":null,"i":null}', b"{}"]
    records = decoded(shape, rows)
    assert len(records) == len(rows)
    back = as_records(records)
    exact_rows = [n for n, row in enumerate(rows) if LONG_RUN not in row.translate(DIGIT_MAP)]
    assert len(exact_rows) >= 8, "enough rows are compared dict for dict"
    for n in exact_rows:
        assert back[n] == (without_nulls(parse_line(rows[n])), EMITTED + n, None), rows[n]
    fallback, _ = general_columns(WIDE_FIELDS, WIDE_KINDS, back, exact=True)
    reference, _ = general_columns(WIDE_FIELDS, WIDE_KINDS, parsed(rows), exact=True)
    assert_same_columns(WIDE_KINDS, fallback, reference, raw_json=True, label="as_records")


def test_as_records_passes_dicts_through_and_keeps_changes() -> None:
    shape = typed_shape(("v",), (T.INTEGER,), raw_json=True)
    assert shape is not None
    changes = [{"field": "v", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]
    mixed: list[AnyRecord] = [(shape.decode(b'{"v":1}'), 1, None), ({"v": "x", "w": [1]}, 2, changes)]
    assert as_records(mixed) == [({"v": 1}, 1, None), ({"v": "x", "w": [1]}, 2, changes)]
    assert not is_typed(shape, mixed), "one dict sends the whole batch to the general path"


# -- when the batch falls back mid-way -------------------------------------------------------------------------------


def test_one_refused_value_sends_the_whole_batch_back_and_the_dicts_land_alike() -> None:
    fields, kinds = ("id", "at", "n"), (T.INTEGER, T.TIMESTAMP_TZ, T.NUMBER)
    shape = typed_shape(fields, kinds, raw_json=True)
    assert shape is not None
    rows = [
        b'{"id":1,"at":"2024-01-01T00:00:00Z","n":1.50}',
        b'{"id":2,"at":"2024-02-30T00:00:00Z","n":2}',  # decodes (a string), but no such day
        b'{"id":3,"at":null,"n":1e300}',
    ]
    records = decoded(shape, rows)
    assert is_typed(shape, records)
    assert typed_columns(shape, records, 0, exact_numbers=True) is None
    fallback = general_shape(fields, kinds, exact=True, declared=True).normalize(as_records(records), 0, 7)
    reference = general_shape(fields, kinds, exact=True, declared=True).normalize(parsed(rows), 0, 7)
    assert fallback.to_csv() == reference.to_csv()
    assert b"DESTINATION_TYPECAST_ERROR" in fallback.to_csv(), "the bad day is nulled and recorded"


def test_a_long_digit_run_elsewhere_in_the_line_does_not_change_what_lands() -> None:
    """parse_line reads a whole line holding a 16-digit run with exact decimals, while `as_records` parses each
    value alone: the dicts differ (Decimal against float) but land the same text."""
    fields, kinds = ("s", "n", "j"), (T.STRING, T.NUMBER, T.JSON)
    shape = typed_shape(fields, kinds, raw_json=True)
    assert shape is not None
    rows = [b'{"s":"12345678901234567890","n":0.1,"j":{"x":2.5}}', b'{"s":5,"n":1e300,"j":[0.25]}']
    records = decoded(shape, rows)
    assert len(records) == 1, "a number in a string column is refused"
    mixed: list[AnyRecord] = [*records, (parse_line(rows[1]), EMITTED + 1, None)]
    for exact in (True, False):
        fallback = general_shape(fields, kinds, exact=exact, declared=True).normalize(as_records(mixed), 0, 1)
        reference = general_shape(fields, kinds, exact=exact, declared=True).normalize(parsed(rows), 0, 1)
        assert fallback.to_csv() == reference.to_csv()


# -- numbers -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [b"1234567890123456", b"9007199254740993", b"0.1000000000000000055511151231257827", b"12345678901234.56"],
)
def test_long_literals_are_refused_for_a_double_column_and_kept_for_an_exact_one(literal: bytes) -> None:
    """A double may not hold a literal with a 16-digit run: the general path records the precision it loses."""
    shape = typed_shape(("n",), (T.NUMBER,), raw_json=True)
    assert shape is not None
    records: list[AnyRecord] = [(shape.decode(b'{"n":%s}' % literal), EMITTED, None)]
    assert typed_columns(shape, records, 0, exact_numbers=False) is None
    exact = typed_columns(shape, records, 0, exact_numbers=True)
    assert exact is not None and exact[0] == [literal.decode()], "an exact column gets every digit"


def test_number_literals_keep_their_spelling() -> None:
    shape = typed_shape(("n",), (T.NUMBER,), raw_json=True)
    assert shape is not None
    literals = [b"1.50", b"1e2", b"-0", b"1E+2", b"100"]
    records: list[AnyRecord] = [(shape.decode(b'{"n":%s}' % lit), EMITTED, None) for lit in literals]
    columns = typed_columns(shape, records, 0, exact_numbers=False)
    assert columns is not None
    assert columns[0] == [lit.decode() for lit in literals]


@pytest.mark.parametrize("literal", [b"1e-400", b"-2.5e-330", b"1.23456789e-320"])
def test_literals_below_double_range_land_the_same_number_on_an_exact_column(literal: bytes) -> None:
    """The typed path gives a NUMERIC column the literal; the general path gives it the double orjson reads (which
    for these is 0.0, or a subnormal with fewer digits). Whichever is right, both must land the same number."""
    shape = typed_shape(("n",), (T.NUMBER,), raw_json=True)
    assert shape is not None
    data = b'{"n":%s}' % literal
    records: list[AnyRecord] = [(shape.decode(data), EMITTED, None)]
    columns = typed_columns(shape, records, 0, exact_numbers=True)
    general, _ = general_columns(["n"], [T.NUMBER], parsed([data]), exact=True)
    if columns is not None:
        assert Decimal(columns[0][0]) == Decimal(str(general[0][0])), f"typed {columns[0][0]}, general {general[0][0]}"


# -- JSON --------------------------------------------------------------------------------------------------------------


def test_raw_json_keeps_the_source_text() -> None:
    shape = typed_shape(("j",), (T.JSON,), raw_json=True)
    assert shape is not None
    values = [b'{ "a" : 1.50 }', b"[1e2]", b'"\\u00e9"', b"null"]
    records: list[AnyRecord] = [(shape.decode(b'{"j":%s}' % v), EMITTED, None) for v in values]
    columns = typed_columns(shape, records, 0, exact_numbers=True)
    assert columns is not None
    assert columns[0] == ['{ "a" : 1.50 }', "[1e2]", '"\\u00e9"', None]


def test_reserialized_json_is_the_general_paths_text() -> None:
    """For an engine that keeps JSON text as sent, JSON goes out exactly as the general path writes it."""
    shape = typed_shape(("j",), (T.JSON,), raw_json=False)
    assert shape is not None
    taken = 0
    for value in [*JSONS, b"null", ABSENT]:
        data = b"{}" if value == ABSENT else b'{"j":%s}' % value
        records: list[AnyRecord] = [(shape.decode(data), EMITTED, None)]
        columns = typed_columns(shape, records, 0, exact_numbers=True)
        if columns is None:
            continue
        taken += 1
        general, _ = general_columns(["j"], [T.JSON], parsed([data]), exact=True)
        assert columns[0] == general[0], data
    assert taken >= len(JSONS) // 2, "most JSON values take the typed path"


# -- shapes ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ['say "hi"', "back\\slash", "nul\x00", "new\nline", "tab\t", "\x1f"], ids=lambda n: repr(n)
)
def test_field_names_msgspec_cannot_match_give_no_shape(name: str) -> None:
    assert typed_shape(("id", name), (T.INTEGER, T.STRING), raw_json=True) is None
    assert typed_shape(("id",), (T.INTEGER,), raw_json=True) is not None


def test_no_fields_give_no_shape() -> None:
    assert typed_shape((), (), raw_json=True) is None


def test_unusual_but_matchable_field_names_decode() -> None:
    fields = ("café 🚀", "with space", "Dots.and-dashes", "\x7f", "f0")
    shape = typed_shape(fields, (T.INTEGER,) * len(fields), raw_json=True)
    assert shape is not None
    data = '{"café 🚀":1,"with space":2,"Dots.and-dashes":3,"\x7f":4,"f0":5}'.encode()
    records: list[AnyRecord] = [(shape.decode(data), EMITTED, None)]
    columns = typed_columns(shape, records, 0, exact_numbers=True)
    assert columns is not None
    assert [c[0] for c in columns[:5]] == [1, 2, 3, 4, 5]
    assert as_records(records)[0][0] == parse_line(data)


def test_columns_follow_field_order_not_the_records_order() -> None:
    shape = typed_shape(("a", "b"), (T.STRING, T.INTEGER), raw_json=True)
    assert shape is not None
    records: list[AnyRecord] = [
        (shape.decode(b'{"b":1,"a":"x"}'), 5, None),
        (shape.decode(b'{"a":"y"}'), 6, None),
    ]
    assert typed_columns(shape, records, 3, exact_numbers=True) == [["x", "y"], [1, None], [5, 6], [3, 4], [None, None]]
    assert fast_columns(["a", "b"], [T.STRING, T.INTEGER], as_records(records), 3) == typed_columns(
        shape, records, 3, exact_numbers=True
    )


def test_a_batch_decoded_for_another_shape_is_not_typed() -> None:
    old = typed_shape(("a",), (T.INTEGER,), raw_json=True)
    new = typed_shape(("a",), (T.NUMBER,), raw_json=True)  # the column widened after these were decoded
    assert old is not None and new is not None
    records: list[AnyRecord] = [(old.decode(b'{"a":1}'), EMITTED, None)]
    assert is_typed(old, records)
    assert not is_typed(new, records)
    assert not is_typed(old, []), "an empty batch is not typed"


@pytest.mark.parametrize("raw_json", [True, False], ids=["raw-json", "reserialized-json"])
def test_a_json_value_holding_a_newline_sends_its_batch_to_the_general_path(raw_json: bool) -> None:
    """Raw values are joined by newlines and split back in C; a value spanning two lines (JSON whitespace, from
    an input that was not read line by line) would shift every later row, so the batch is refused instead."""
    shape = typed_shape(("id", "doc"), (T.INTEGER, T.JSON), raw_json=raw_json)
    assert shape is not None
    records = decoded(shape, [b'{"id":1,"doc":{"a":\n1}}', b'{"id":2,"doc":{"b":2}}'])
    assert len(records) == 2 and is_typed(shape, records)
    assert typed_columns(shape, records, FIRST_SEQ, exact_numbers=True) is None
    plain = decoded(shape, [b'{"id":1,"doc":{"a": 1}}', b'{"id":2,"doc":null}'])
    columns = typed_columns(shape, plain, FIRST_SEQ, exact_numbers=True)
    assert columns is not None and columns[1] == (['{"a": 1}', None] if raw_json else ['{"a":1}', None])
