"""PostgreSQL types: their JSON schema, how the server renders them as JSON, and how CDC text values match that.

Every column is reduced to a *kind* (integer, timestamptz, array, ...). The kind decides three things that must
agree with each other:

- the JSON schema in the catalog (Airbyte conventions: `format`/`airbyte_type` on dates and times);
- the SQL expression the snapshot and cursor reads pass to `row_to_json`, so the server produces the record
  JSON (bytea becomes base64, money a number, json and unknown types strings);
- the converter from PostgreSQL's text output (what pgoutput sends for CDC) to the very same JSON text, so a
  row reads identically from a snapshot and from the log.

Session settings the conversions rely on are in `SESSION_SETTINGS`; every connection sets them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

SESSION_SETTINGS: dict[str, str] = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "iso_8601",
    "extra_float_digits": "1",
    "lc_monetary": "C",
}

_BY_NAME: dict[str, str] = {
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "oid": "integer",
    "xid": "integer",
    "numeric": "numeric",
    "float4": "float",
    "float8": "float",
    "bool": "boolean",
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "name": "string",
    "char": "string",
    "citext": "string",
    "uuid": "uuid",
    "date": "date",
    "time": "time",
    "timetz": "timetz",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "interval": "interval",
    "json": "json",
    "jsonb": "json",
    "bytea": "bytea",
    "money": "money",
}

# Kinds whose ordering is meaningful for an incremental cursor.
CURSOR_KINDS = frozenset({"integer", "numeric", "float", "string", "date", "timestamp", "timestamptz", "time"})

# Array element kinds the server would not render the way our schema says; the array is cast first. (Arrays of
# unknown types need no cast: row_to_json renders their elements with the type's output function, as strings.)
_ARRAY_CASTS = {"bytea": "text[]", "json": "text[]", "money": "numeric[]"}
_ARRAY_ITEM_KIND = {"bytea": "string", "json": "string", "unknown": "string", "money": "numeric"}


@dataclass(frozen=True)
class PgType:
    """One row of pg_type, enough to resolve domains, arrays and enums."""

    oid: int
    name: str
    typtype: str
    category: str
    elem: int
    base: int


@dataclass(frozen=True)
class Column:
    """A column as the connector sees it; `sql_type` is format_type(), used to cast bound key values."""

    name: str
    sql_type: str
    kind: str
    nullable: bool = True
    element_kind: str | None = None
    precision: int | None = None
    scale: int | None = None
    max_length: int | None = None
    enum_values: tuple[str, ...] | None = None

    @property
    def cursor_capable(self) -> bool:
        return self.kind in CURSOR_KINDS


def resolve_kind(oid: int, types: Mapping[int, PgType]) -> tuple[str, str | None, int | None]:
    """(kind, element kind for arrays, enum type oid) of a type oid, following domains to their base type."""
    seen = 0
    pg_type = types.get(oid)
    while pg_type is not None and pg_type.typtype == "d" and seen < 10:
        pg_type = types.get(pg_type.base)
        seen += 1
    if pg_type is None:
        return "unknown", None, None
    if pg_type.typtype == "e":
        return "enum", None, pg_type.oid
    if pg_type.category == "A" and pg_type.elem:
        element, _, enum_oid = resolve_kind(pg_type.elem, types)
        if element == "array":  # not expressible in PostgreSQL, but never recurse into nonsense
            element = "unknown"
        return "array", element, enum_oid
    return _BY_NAME.get(pg_type.name, "unknown"), None, None


def typmod_details(kind: str, typmod: int) -> dict[str, int]:
    """Precision/scale of numeric(p,s) and the length of varchar(n)/char(n), decoded from atttypmod."""
    if typmod < 4:
        return {}
    if kind == "numeric":
        return {"precision": ((typmod - 4) >> 16) & 0xFFFF, "scale": (typmod - 4) & 0xFFFF}
    if kind == "string":
        return {"max_length": typmod - 4}
    return {}


# -- JSON schema ---------------------------------------------------------------------------------------------------
def _kind_schema(kind: str) -> dict[str, Any]:
    if kind == "integer":
        return {"type": "integer"}
    if kind in ("numeric", "float", "money"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "uuid":
        return {"type": "string", "format": "uuid"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "time":
        return {"type": "string", "format": "time", "airbyte_type": "time_without_timezone"}
    if kind == "timetz":
        return {"type": "string", "format": "time", "airbyte_type": "time_with_timezone"}
    if kind == "timestamp":
        return {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"}
    if kind == "timestamptz":
        return {"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}
    if kind == "bytea":
        return {"type": "string", "contentEncoding": "base64"}
    return {"type": "string"}  # string, interval, json, enum and anything unknown


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    schema["type"] = ["null", schema["type"]]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def json_schema(column: Column) -> dict[str, Any]:
    """The column's property schema; nullable columns accept null."""
    if column.kind == "array":
        item_kind = _ARRAY_ITEM_KIND.get(column.element_kind or "unknown", column.element_kind or "unknown")
        items = _kind_schema(item_kind)
        if column.enum_values is not None:
            items["enum"] = list(column.enum_values)
        schema: dict[str, Any] = {"type": "array", "items": _nullable(items)}
    else:
        schema = _kind_schema(column.kind)
        if column.kind == "enum" and column.enum_values is not None:
            schema["enum"] = list(column.enum_values)
        if column.precision is not None:
            schema["precision"] = column.precision
            schema["scale"] = column.scale or 0
        if column.max_length is not None:
            schema["maxLength"] = column.max_length
    return _nullable(schema) if column.nullable else schema


# -- server-side rendering -----------------------------------------------------------------------------------------
def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_expr(column: Column, source: str = "src") -> str:
    """The SQL expression whose `row_to_json` rendering is the record value of `column`."""
    ref = f"{source}.{quote_ident(column.name)}"
    if column.kind == "bytea":
        return f"translate(encode({ref}, 'base64'), E'\\n', '')"
    if column.kind == "money":
        return f"{ref}::numeric"
    if column.kind == "json":
        return f"{ref}::text"
    if column.kind == "unknown":
        # format() uses the type's output function, as pgoutput does; a ::text cast may differ (inet adds /32).
        return f"CASE WHEN {ref} IS NULL THEN NULL ELSE format('%s', {ref}) END"
    if column.kind == "array" and column.element_kind in _ARRAY_CASTS:
        return f"{ref}::{_ARRAY_CASTS[column.element_kind]}"
    return ref


# -- text output (pgoutput) to the same JSON -----------------------------------------------------------------------
Converter = Callable[[str], bytes]
_NOT_FINITE = frozenset({"NaN", "Infinity", "-Infinity", "infinity", "-infinity"})
_OFFSET = re.compile(r"([+-]\d\d)(:\d\d)?(:\d\d)?$")


def _quoted(text: str) -> bytes:
    return orjson.dumps(text)


def _raw_number(text: str) -> bytes:
    return _quoted(text) if text in _NOT_FINITE else text.encode()


def _boolean(text: str) -> bytes:
    return b"true" if text == "t" else b"false"


def _money(text: str) -> bytes:
    negative = text.startswith("-") or text.startswith("(")
    digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    return (("-" if negative else "") + digits).encode()


def _with_full_offset(text: str) -> str:
    """'+02' -> '+02:00': the text output of timestamptz shortens whole-hour offsets, its JSON output does not.

    (time with time zone has no JSON rendering of its own: both outputs are the text form.)
    """
    match = _OFFSET.search(text)
    if match is None or match.group(2) is not None:
        return text
    return text[: match.start()] + match.group(1) + ":00"


def _timestamp(text: str) -> bytes:
    return _quoted(text.replace(" ", "T", 1) if text[:1].isdigit() else text)


def _timestamptz(text: str) -> bytes:
    if not text[:1].isdigit():
        return _quoted(text)
    return _quoted(_with_full_offset(text.replace(" ", "T", 1)))


def _bytea(text: str) -> bytes:
    raw = bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()
    return _quoted(base64.b64encode(raw).decode())


_CONVERTERS: dict[str, Converter] = {
    "integer": str.encode,
    "numeric": _raw_number,
    "float": _raw_number,
    "money": _money,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "timestamptz": _timestamptz,
    "bytea": _bytea,
}


def _element_converter(kind: str) -> Converter:
    return _CONVERTERS.get(_ARRAY_ITEM_KIND.get(kind, kind), _quoted)


def parse_array(text: str) -> list[Any]:
    """Parse PostgreSQL's array text output into nested lists of element texts (None for NULL)."""
    if text.startswith("["):  # explicit bounds: "[0:1]={1,2}"
        text = text[text.index("=") + 1 :]
    pos = 0

    def parse_level() -> list[Any]:
        nonlocal pos
        if text[pos] != "{":
            raise IndexError
        pos += 1
        items: list[Any] = []
        while pos < len(text):
            ch = text[pos]
            if ch == "}":
                pos += 1
                return items
            if ch == ",":
                pos += 1
                continue
            if ch == "{":
                items.append(parse_level())
            elif ch == '"':
                pos += 1
                buf: list[str] = []
                while text[pos] != '"':
                    if text[pos] == "\\":
                        pos += 1
                    buf.append(text[pos])
                    pos += 1
                pos += 1
                items.append("".join(buf))
            else:
                end = pos
                while text[end] not in ",}":
                    end += 1
                token = text[pos:end].strip()
                items.append(None if token == "NULL" else token)
                pos = end
        raise IndexError

    try:
        return parse_level()
    except IndexError:
        raise ValueError(f"Unterminated array literal: {text[:80]!r}") from None


def _array_fragment(items: list[Any], convert: Converter) -> bytes:
    parts = [
        b"null" if item is None else _array_fragment(item, convert) if isinstance(item, list) else convert(item)
        for item in items
    ]
    return b"[" + b",".join(parts) + b"]"


def text_converter(column: Column) -> Converter:
    """A function from the column's text output to the JSON text `row_to_json(select_expr(column))` gives."""
    if column.kind == "array":
        convert = _element_converter(column.element_kind or "unknown")
        return lambda text: _array_fragment(parse_array(text), convert)
    return _CONVERTERS.get(column.kind, _quoted)
