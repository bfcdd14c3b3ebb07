"""Type mapping: kinds, JSON schemas, server-side expressions, and text-to-JSON conversion for CDC values."""

from __future__ import annotations

import base64
import json

import pytest
from source_postgres.types import Column, PgType, json_schema, parse_array, resolve_kind, select_expr, text_converter

TYPES = {
    23: PgType(23, "int4", "b", "N", 0, 0),
    1007: PgType(1007, "_int4", "b", "A", 23, 0),
    1700: PgType(1700, "numeric", "b", "N", 0, 0),
    17: PgType(17, "bytea", "b", "U", 0, 0),
    1001: PgType(1001, "_bytea", "b", "A", 17, 0),
    869: PgType(869, "inet", "b", "I", 0, 0),
    90001: PgType(90001, "positive", "d", "N", 0, 23),
    90002: PgType(90002, "outer_domain", "d", "N", 0, 90001),
    90003: PgType(90003, "mood", "e", "E", 0, 0),
    90004: PgType(90004, "_mood", "b", "A", 90003, 0),
}


@pytest.mark.parametrize(
    ("oid", "expected"),
    [
        (23, ("integer", None, None)),
        (1007, ("array", "integer", None)),
        (90002, ("integer", None, None)),  # a domain over a domain over int4
        (90003, ("enum", None, 90003)),
        (90004, ("array", "enum", 90003)),
        (869, ("unknown", None, None)),
        (424242, ("unknown", None, None)),  # not in pg_type at all
    ],
)
def test_resolve_kind(oid: int, expected: tuple[str, str | None, int | None]) -> None:
    assert resolve_kind(oid, TYPES) == expected


def test_schema_of_nullable_enum_allows_null_in_type_and_values() -> None:
    column = Column("m", "mood", "enum", nullable=True, enum_values=("a", "b"))
    assert json_schema(column) == {"type": ["null", "string"], "enum": ["a", "b", None]}


def test_schema_keeps_numeric_precision_and_varchar_length() -> None:
    assert json_schema(Column("n", "numeric(10,2)", "numeric", nullable=False, precision=10, scale=2)) == {
        "type": "number",
        "precision": 10,
        "scale": 2,
    }
    assert json_schema(Column("v", "varchar(8)", "string", nullable=False, max_length=8)) == {
        "type": "string",
        "maxLength": 8,
    }


def test_schema_of_arrays_describes_nullable_items() -> None:
    schema = json_schema(Column("a", "integer[]", "array", nullable=False, element_kind="integer"))
    assert schema == {"type": "array", "items": {"type": ["null", "integer"]}}
    bytea_items = json_schema(Column("b", "bytea[]", "array", nullable=False, element_kind="bytea"))["items"]
    assert bytea_items == {"type": ["null", "string"]}  # rendered as hex text, like a text[] cast


def test_select_expressions_render_what_the_schema_promises() -> None:
    assert select_expr(Column("b", "bytea", "bytea")) == "translate(encode(src.\"b\", 'base64'), E'\\n', '')"
    assert select_expr(Column("m", "money", "money")) == 'src."m"::numeric'
    assert select_expr(Column("j", "jsonb", "json")) == 'src."j"::text'
    assert "format('%s', src.\"i\")" in select_expr(Column("i", "inet", "unknown"))
    assert select_expr(Column("a", "bytea[]", "array", element_kind="bytea")) == 'src."a"::text[]'
    assert select_expr(Column('we"ird', "int", "integer")) == 'src."we""ird"'


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("integer", "-42", -42),
        ("integer", "9007199254740993", 9007199254740993),
        ("numeric", "123.4500", 123.45),
        ("numeric", "NaN", "NaN"),
        ("float", "-Infinity", "-Infinity"),
        ("float", "1e+300", 1e300),
        ("boolean", "t", True),
        ("boolean", "f", False),
        ("money", "-$1,234.50", -1234.5),
        ("timestamp", "2024-02-29 23:59:59.5", "2024-02-29T23:59:59.5"),
        ("timestamp", "infinity", "infinity"),
        ("timestamptz", "2024-01-01 12:00:00+00", "2024-01-01T12:00:00+00:00"),
        ("timestamptz", "2024-01-01 12:00:00.25+05:30", "2024-01-01T12:00:00.25+05:30"),
        ("timestamptz", "1900-01-01 00:00:00+00:53:28", "1900-01-01T00:00:00+00:53:28"),
        ("timetz", "10:00:00-03", "10:00:00-03"),
        ("bytea", "\\x00ff10", base64.b64encode(b"\x00\xff\x10").decode()),
        ("string", 'say "hi"\n', 'say "hi"\n'),
        ("interval", "P1DT2H", "P1DT2H"),
    ],
)
def test_text_converter_matches_row_to_json(kind: str, text: str, expected: object) -> None:
    assert json.loads(text_converter(Column("c", "t", kind))(text)) == expected


def test_numeric_digits_are_kept_verbatim() -> None:
    convert = text_converter(Column("n", "numeric", "numeric"))
    assert convert("12345678901234567890.0123456789") == b"12345678901234567890.0123456789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", []),
        ("{1,2,3}", ["1", "2", "3"]),
        ('{"a b","c,d",NULL,"NULL","e\\"f","g\\\\h"}', ["a b", "c,d", None, "NULL", 'e"f', "g\\h"]),
        ("{{1,2},{3,NULL}}", [["1", "2"], ["3", None]]),
        ("[0:1]={7,8}", ["7", "8"]),
    ],
)
def test_parse_array(text: str, expected: list[object]) -> None:
    assert parse_array(text) == expected


def test_parse_array_rejects_unterminated_literals() -> None:
    with pytest.raises(ValueError, match="Unterminated"):
        parse_array("{1,2")


def test_array_converter_converts_each_element() -> None:
    stamps = text_converter(Column("t", "timestamptz[]", "array", element_kind="timestamptz"))
    assert json.loads(stamps('{"2024-01-01 00:00:00+00",NULL}')) == ["2024-01-01T00:00:00+00:00", None]
    nested = text_converter(Column("n", "int[]", "array", element_kind="integer"))
    assert json.loads(nested("{{1,2},{3,NULL}}")) == [[1, 2], [3, None]]
    hexes = text_converter(Column("b", "bytea[]", "array", element_kind="bytea"))
    assert json.loads(hexes('{"\\\\x0102"}')) == ["\\x0102"]
