"""The common case of `TableShape.normalize` and of CSV writing, done a column at a time.

Most batches need no change at all: every field is a known column and every value already fits its column's type.
Checking that per column, with C-level builtins (`map`, `min`, `str.join`, a compiled regex) over a whole list of
values, costs a fraction of the per-value work of the general path, and so does rendering CSV a column at a time
instead of a character at a time (`csv.writer`). Any surprise (an unknown field, a value that needs coercion,
widening or a recorded change) makes `fast_columns` return None, and the general path handles the batch with its
full rules, so this module never decides anything the general path would decide differently.

Values stay column-major here, with None for NULL; `columns_to_csv` writes the same text `csv.writer` with
QUOTE_NONNUMERIC writes for the general path's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import orjson

from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.types import INT64_MAX, INT64_MIN, LogicalType

T = LogicalType
_NoneType = type(None)

# Shapes every engine reads unchanged (a subset of what the general path accepts as is).
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?").fullmatch
_DATE = re.compile(r"\d{4}-\d\d-\d\d").fullmatch
_TIME = re.compile(r"\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?").fullmatch


def _only(values: Sequence[Any], allowed: set[type]) -> bool:
    return set(map(type, values)) <= allowed


def _present(values: list[Any], types: set[type]) -> list[Any]:
    return [v for v in values if v is not None] if _NoneType in types else values


def _strings(values: list[Any]) -> list[Any] | None:
    types = set(map(type, values))
    if not types <= {str, _NoneType} or "\x00" in "".join(_present(values, types)):
        return None
    return values


def _integers(values: list[Any]) -> list[Any] | None:
    if not _only(values, {int, _NoneType}):
        return None
    present = [v for v in values if v is not None]
    if present and (min(present) < INT64_MIN or max(present) > INT64_MAX):
        return None
    return values


def _numbers(values: list[Any]) -> list[Any] | None:
    return values if _only(values, {int, float, Decimal, _NoneType}) else None


_DOUBLE_EXACT = 2**53


def loses_precision(value: Any) -> bool:
    """True when a double cannot hold `value` exactly (an integer beyond 2**53, a decimal of over 15 digits)."""
    if type(value) is int:
        return not -_DOUBLE_EXACT <= value <= _DOUBLE_EXACT
    if isinstance(value, Decimal):
        return len(value.as_tuple().digits) > 15
    return False


def _booleans(values: list[Any]) -> list[Any] | None:
    return values if _only(values, {bool, _NoneType}) else None


def _json(values: list[Any]) -> list[Any] | None:
    try:
        out = [None if v is None else orjson.dumps(v).decode() for v in values]
    except TypeError:  # a Decimal or an integer beyond 64 bits somewhere inside: the general path handles it
        return None
    if "\\u0000" in "".join([v for v in out if v is not None]):
        return None
    return out


# Digits to "0": a column of timestamps has only a handful of distinct shapes ("0000-00-00T00:00:00+00:00"), so
# the regex runs once per shape instead of once per value.
_SHAPE = str.maketrans("123456789", "000000000")


def _temporal(shape: Callable[[str], Any], parse: Callable[[str], Any]) -> Callable[[list[Any]], list[Any] | None]:
    def check(values: list[Any]) -> list[Any] | None:
        if not _only(values, {str, _NoneType}):
            return None
        present = [v for v in values if v is not None]
        # a value holding the separator splits into shapes that fail, or fails `parse` below
        shapes = set("\n".join(present).translate(_SHAPE).split("\n")) - {""}
        if not all(map(shape, shapes)):
            return None
        try:
            for _ in map(parse, present):  # valid dates, not just shapes ("Z" included since Python 3.11)
                pass
        except ValueError:
            return None
        return values

    return check


VALUE_CHECKS: dict[LogicalType, Callable[[list[Any]], list[Any] | None]] = {
    T.STRING: _strings,
    T.INTEGER: _integers,
    T.NUMBER: _numbers,
    T.BOOLEAN: _booleans,
    T.JSON: _json,
    T.TIMESTAMP: _temporal(_TIMESTAMP, dt.datetime.fromisoformat),
    T.TIMESTAMP_TZ: _temporal(_TIMESTAMP, dt.datetime.fromisoformat),
    T.DATE: _temporal(_DATE, dt.date.fromisoformat),
    T.TIME: _temporal(_TIME, dt.time.fromisoformat),
    T.TIME_TZ: _temporal(_TIME, dt.time.fromisoformat),
}


def fast_columns(
    fields: Sequence[str], kinds: Sequence[LogicalType], records: list[Record], first_seq: int
) -> list[list[Any]] | None:
    """Column-major values for `records` (data columns, then emitted_at, sequence and meta; None for NULL) when
    none of them needs the general path's rules, else None. JSON columns hold their text."""
    known = set(fields)
    datas = [r[0] for r in records]
    if not all(map(known.issuperset, datas)):  # a field with no column yet
        return None
    if any(r[2] for r in records):  # upstream changes go into _airbyte_meta
        return None
    columns: list[list[Any]] = []
    for field, kind in zip(fields, kinds, strict=True):
        check = VALUE_CHECKS.get(kind)
        column = check([d.get(field) for d in datas]) if check else None
        if column is None:
            return None
        columns.append(column)
    return columns + trailing_columns(records, first_seq)


def trailing_columns(records: Sequence[Record], first_seq: int) -> list[list[Any]]:
    """What every staged row ends with: emitted_at (ms), its staging sequence number, and meta (None: no change
    recorded, which the merge turns into the default meta)."""
    return [[r[1] for r in records], list(range(first_seq, first_seq + len(records))), [None] * len(records)]


_QUOTED = {T.STRING, T.JSON, T.DATE, T.TIME, T.TIME_TZ, T.TIMESTAMP, T.TIMESTAMP_TZ}


def _quoted(values: list[Any]) -> list[str]:
    return ['"' + v.replace('"', '""') + '"' if v is not None else "" for v in values]


def _plain(values: list[Any]) -> list[str]:
    if None not in values:
        return list(map(str, values))
    return ["" if v is None else str(v) for v in values]


def columns_to_csv(kinds: Sequence[LogicalType], columns: list[list[Any]]) -> str:
    """CSV text of `fast_columns` output (the trailing emitted_at, sequence and meta columns included)."""
    if not columns or not columns[0]:
        return ""
    data, extra = columns[: len(kinds)], columns[len(kinds) :]
    texts = [_quoted(values) if kind in _QUOTED else _plain(values) for kind, values in zip(kinds, data, strict=True)]
    texts += [_plain(values) for values in extra]
    return "\n".join(map(",".join, zip(*texts, strict=True))) + "\n"


# PostgreSQL's COPY text format: tab-separated, \N for NULL, and backslash escapes for what would break a line.
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_TEXT_SPECIAL = ("\\", "\t", "\n", "\r")
_BOOLEAN_TEXT = {True: "t", False: "f", None: "\\N"}


def _nulls_as_text(values: list[Any], present: list[Any]) -> list[str]:
    return ["\\N" if v is None else v for v in values] if present is not values else values


def _text_strings(values: list[Any]) -> list[str]:
    present = [v for v in values if v is not None] if None in values else values
    joined = "".join(present)
    if any(c in joined for c in _TEXT_SPECIAL):  # rare: only then is each value escaped
        return ["\\N" if v is None else v.translate(TEXT_ESCAPES) for v in values]
    return _nulls_as_text(values, present)


_TSV_BREAKERS = ("\t", "\n", "\r")


def _tsv_strings(values: list[Any]) -> list[str] | None:
    present = [v for v in values if v is not None] if None in values else values
    if any(c in "".join(present) for c in _TSV_BREAKERS) or "\\N" in present:
        return None
    return _nulls_as_text(values, present)


def _text_extra(values: list[Any]) -> list[str]:
    """The trailing emitted_at, sequence and meta columns (ints, or None and text): often one value throughout."""
    if values and values.count(values[0]) == len(values):
        return ["\\N" if values[0] is None else str(values[0])] * len(values)
    return _text_plain(values)


def _text_plain(values: list[Any]) -> list[str]:
    if None not in values:
        return list(map(str, values))
    return ["\\N" if v is None else str(v) for v in values]


def _tab_separated(
    kinds: Sequence[LogicalType], columns: list[list[Any]], strings: Callable[[list[Any]], list[str] | None]
) -> str | None:
    """Tab-separated rows of `fast_columns` output, \\N for NULL; `strings` renders text-like columns (None: it
    cannot)."""
    if not columns or not columns[0]:
        return ""
    data, extra = columns[: len(kinds)], columns[len(kinds) :]
    texts: list[list[str]] = []
    for kind, values in zip(kinds, data, strict=True):
        if kind is T.BOOLEAN:
            texts.append([_BOOLEAN_TEXT[v] for v in values])
        elif kind in _QUOTED:
            rendered = strings(values)
            if rendered is None:
                return None
            texts.append(rendered)
        else:
            texts.append(_text_plain(values))
    texts += [_text_extra(values) for values in extra]
    return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"


def columns_to_text(kinds: Sequence[LogicalType], columns: list[list[Any]]) -> str:
    """COPY text-format rows of `fast_columns` output (the trailing emitted_at, sequence and meta included).

    Cheaper than CSV: a column whose values hold no tab, newline, carriage return or backslash (nearly all of
    them) goes out as is, with no per-value quoting."""
    return _tab_separated(kinds, columns, _text_strings) or ""


def columns_to_tsv(kinds: Sequence[LogicalType], columns: list[list[Any]]) -> str | None:
    """Tab-separated rows of `fast_columns` output with no quoting or escaping at all (\\N = NULL), or None when
    a value holds a tab, newline or carriage return or is the text \\N itself: the cheapest form for an engine
    whose CSV reader can take it (`copy_tsv`), and most batches qualify."""
    text = _tab_separated(kinds, columns, _tsv_strings)
    if text is not None and text.startswith("\ufeff"):  # a reader takes it for a byte order mark
        return None
    return text
