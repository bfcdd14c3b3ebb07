"""Typed records: each stream's data decoded straight into a struct of its table's columns.

Building a dict of Python objects per record and then checking every value's type cost more than half of what
a destination spent per record. Instead, the write loop decodes a record's data with a decoder made for the
stream's current columns (msgspec, in C): a value of the wrong type, or a field with no column, fails the decode
and that record takes the general path as a dict. A decoded struct therefore holds only values the general path
takes as they are, except for what one check per column still settles for the whole batch (NUL characters,
timestamp shapes, numbers a double cannot hold); a batch that fails it is turned back into dicts (`as_records`)
and normalized with the full rules.

Number and JSON values stay the JSON text the source wrote, never becoming Python objects. A number literal is
parsed by the engine: exactly for a NUMERIC column (no digit of a long literal is lost) and to the same double the
general path would write for a DOUBLE one. A JSON value goes as written to an engine whose JSON type parses and
re-spells what it stores (PostgreSQL's JSONB, DuckDB's JSON); for any other it is re-serialized as the general path
writes it. So a NUMERIC column or a JSONB value keeps a literal such as `1.50` or `1e2` with its digits and scale,
where the general path (taken by a batch that needs its rules) writes the float's `1.5` or `100.0`: the same
number either way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any

import msgspec

from dockyard_runtime.destination.input import DIGIT_MAP, LONG_RUN, parse_line
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.columnar import VALUE_CHECKS, trailing_columns
from dockyard_runtime.sql.types import BIG_INTEGER_MAX, INT64_MAX, INT64_MIN, LogicalType

# A buffered record whose data is a typed struct or, for one the decoder refused, a dict.
AnyRecord = tuple[Any, int, list[dict[str, Any]] | None]

T = LogicalType
_INT64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
_JSON_NULL = "null"
_UNMATCHABLE = re.compile(r'["\\\x00-\x1f]')
_FIELD_TYPES: dict[LogicalType, Any] = {
    T.STRING: str | None,
    T.INTEGER: _INT64 | None,
    T.BIG_INTEGER: int | None,  # msgspec bounds stop at 64 bits: `_big_integers` checks the range
    T.NUMBER: msgspec.Raw,  # the literal; `_number_texts` refuses anything but numbers
    T.BOOLEAN: bool | None,
    T.DATE: str | None,
    T.TIME: str | None,
    T.TIME_TZ: str | None,
    T.TIMESTAMP: str | None,
    T.TIMESTAMP_TZ: str | None,
    T.JSON: msgspec.Raw,
}
_SMALLEST_NORMAL = 2.2250738585072014e-308
# What a valid JSON text made only of these characters can be: a number or null.
_NUMBER_OR_NULL = b"0123456789+-.eE\nnul"


@dataclass(frozen=True)
class TypedShape:
    """The struct and decoder for one table shape: attribute `fN` holds the N-th column's field."""

    kinds: tuple[LogicalType, ...]
    struct: type[msgspec.Struct]
    decode: Callable[[bytes], Any]
    raw_json: bool  # JSON columns may be loaded as the source spelled them (the engine re-spells them)
    values: Callable[[Any], Any]  # a struct's values in column order (a tuple, or the value of a single column)


@functools.lru_cache(maxsize=256)
def typed_shape(fields: tuple[str, ...], kinds: tuple[LogicalType, ...], *, raw_json: bool) -> TypedShape | None:
    """The typed decoder for data whose fields are exactly `fields` (any subset present), of these types; None
    when there is no column or a field's name holds what msgspec cannot match (a quote, a backslash, a control
    character)."""
    if not fields or any(_UNMATCHABLE.search(f) for f in fields):
        return None
    attrs = [f"f{i}" for i in range(len(fields))]
    types = [_FIELD_TYPES[k] for k in kinds]
    defaults = [msgspec.Raw(b"null") if t is msgspec.Raw else None for t in types]
    struct = msgspec.defstruct(
        "TypedData",
        [(a, t, d) for a, t, d in zip(attrs, types, defaults, strict=True)],
        rename=dict(zip(attrs, fields, strict=True)),
        forbid_unknown_fields=True,
        gc=False,
    )
    return TypedShape(
        kinds=kinds,
        struct=struct,
        decode=msgspec.json.Decoder(struct).decode,
        raw_json=raw_json,
        values=attrgetter(*attrs),
    )


def is_typed(shape: TypedShape, records: Sequence[AnyRecord]) -> bool:
    """True when every record of the batch was decoded with `shape` (none fell back to a dict)."""
    return {type(r[0]) for r in records} == {shape.struct}


def _big_integers(values: list[Any]) -> list[Any] | None:
    present = [v for v in values if v is not None]
    if present and (min(present) < -BIG_INTEGER_MAX or max(present) > BIG_INTEGER_MAX):
        return None
    return values


def _split(joined: bytes, count: int) -> list[Any] | None:
    """Raw JSON values joined by newlines, back as text (None for JSON null), split in C; None when a value held a
    newline (JSON whitespace, possible only in a line that was not read from a stream) and the count is off."""
    texts: list[Any] = joined.decode("utf-8").split("\n")
    if len(texts) != count:
        return None
    if _JSON_NULL in texts:
        texts = [None if t == _JSON_NULL else t for t in texts]
    return texts


def _json_texts(values: list[Any]) -> list[Any] | None:
    """JSON values as text; None when one holds \\u0000 (the general path strips it)."""
    joined = b"\n".join(values)
    return None if b"\\u0000" in joined else _split(joined, len(values))


def _reserialized(values: list[Any]) -> list[Any] | None:
    """Raw JSON values re-serialized as the general path writes them, for an engine that keeps JSON text as sent."""
    texts = _split(b"\n".join(values), len(values))
    if texts is None:
        return None
    return VALUE_CHECKS[T.JSON]([None if t is None else parse_line(t.encode()) for t in texts])


def _number_texts(values: list[Any], *, long_literals: bool) -> list[Any] | None:
    """Raw number literals as text, None for JSON null; None when a value is not a number, or has a run of 16
    digits and `long_literals` is off (a double may not hold it: the general path records that)."""
    joined = b"\n".join(values)
    if joined.translate(None, _NUMBER_OR_NULL):
        return None
    if not long_literals and LONG_RUN in joined.translate(DIGIT_MAP):
        return None
    texts = _split(joined, len(values))
    if texts is None or ((b"e-" in joined or b"E-" in joined) and any(map(_below_double, texts))):
        return None
    return texts


def _below_double(text: str | None) -> bool:
    """A literal too small for a normal double (1e-400, a subnormal): the general path reads it as a float and
    lands 0 or a rounded value, so such a batch takes the general path to land the same."""
    if text is None or "e-" not in text.lower():
        return False
    value = abs(float(text))
    if value == 0:
        return Decimal(text) != 0
    return value < _SMALLEST_NORMAL


def typed_columns(
    shape: TypedShape, records: Sequence[AnyRecord], first_seq: int, *, exact_numbers: bool
) -> list[list[Any]] | None:
    """Column-major values in `fast_columns`' layout (data columns, then emitted_at, sequence and meta; None for
    NULL; JSON and number columns as text) for a batch `is_typed` accepted, or None when a value needs the general
    path."""
    rows = list(map(shape.values, [r[0] for r in records]))
    transposed = [list(c) for c in zip(*rows, strict=True)] if len(shape.kinds) > 1 else [rows]
    columns: list[list[Any]] = []
    for values, kind in zip(transposed, shape.kinds, strict=True):
        column: list[Any] | None
        if kind in (T.INTEGER, T.BOOLEAN):
            column = values  # the decoder checked type and range
        elif kind is T.NUMBER:
            column = _number_texts(values, long_literals=exact_numbers)
        elif kind is T.JSON:
            column = _json_texts(values) if shape.raw_json else _reserialized(values)
        elif kind is T.BIG_INTEGER:
            column = _big_integers(values)
        else:
            column = VALUE_CHECKS[kind](values)
        if column is None:
            return None
        columns.append(column)
    return columns + trailing_columns(records, first_seq)


def as_records(records: Sequence[AnyRecord]) -> list[Record]:
    """The batch with typed records turned back into the dicts the general path takes (dicts pass through)."""
    out: list[Record] = []
    for data, emitted_at, changes in records:
        if type(data) is dict:
            out.append((data, emitted_at, changes))
            continue
        values: dict[str, Any] = {}
        struct = type(data)
        for attr, field in zip(struct.__struct_fields__, struct.__struct_encode_fields__, strict=True):
            value = getattr(data, attr)
            if type(value) is msgspec.Raw:
                text = bytes(value)
                if text != b"null":
                    values[field] = parse_line(text)
            elif value is not None:
                values[field] = value
        out.append((values, emitted_at, changes))
    return out
