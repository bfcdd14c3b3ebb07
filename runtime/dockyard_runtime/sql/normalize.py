"""Turning a batch of records into typed rows for bulk loading, once for every SQL destination.

Each value is checked against its column's logical type. A value that fits is written as the text the engine
parses (CSV); a value that does not is nulled and recorded in `_airbyte_meta.changes`; a value that needs a
wider type widens the column (declared columns only along the numeric chain, inferred columns freely) and the
column is re-coerced for the whole batch. Fields the schema does not declare become new inferred columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.columnar import (
    TEXT_ESCAPES,
    columns_to_csv,
    columns_to_text,
    columns_to_tsv,
    fast_columns,
    loses_precision,
)
from dockyard_runtime.sql.types import (
    BIG_INTEGER_MAX,
    INT64_MAX,
    INT64_MIN,
    LogicalType,
    is_numeric_widening,
    kind_of,
    widen,
)

T = LogicalType


class _Null(float):
    """Written by `csv.writer(quoting=QUOTE_NONNUMERIC)` as an unquoted empty field, which engines read as NULL
    while a quoted "" stays an empty string."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ""

    __str__ = __repr__


NULL: Any = _Null(0.0)


@dataclass
class Column:
    """One data column: the source field, its SQL name and its current logical type."""

    field: str
    name: str
    type: LogicalType
    declared: bool


@dataclass
class Batch:
    """Rows ready for CSV: data columns in `columns` order, then emitted_at (ms), sequence and meta JSON.

    A batch the column-wise fast path built keeps its values column-major in `columnar` (None for NULL) and
    `rows` empty; `row_values`, `to_csv` and `to_text` read either form.
    """

    columns: list[Column]
    rows: list[list[Any]]
    widened: dict[str, tuple[LogicalType, LogicalType]] = field(default_factory=dict)
    added: list[Column] = field(default_factory=list)
    columnar: list[list[Any]] | None = None

    def row_values(self) -> list[list[Any]]:
        if self.columnar is None:
            return self.rows
        return [[NULL if v is None else v for v in row] for row in zip(*self.columnar, strict=True)]

    def to_csv(self) -> bytes:
        """The batch as CSV for `SqlClient.copy_csv` (unquoted empty = NULL, quoted "" = empty string)."""
        if self.columnar is not None:
            return columns_to_csv([c.type for c in self.columns], self.columnar).encode("utf-8")
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(self.rows)
        return buffer.getvalue().encode("utf-8")

    def to_tsv(self) -> bytes | None:
        """Unescaped tab-separated rows for clients that offer `copy_tsv`, or None when a value would break them
        (only column-wise batches qualify; the general path's are rare and take CSV)."""
        if self.columnar is None:
            return None
        text = columns_to_tsv([c.type for c in self.columns], self.columnar)
        return None if text is None else text.encode("utf-8")

    def to_text(self) -> bytes:
        """The batch in PostgreSQL's COPY text format (\\N = NULL), for clients that offer `copy_text`."""
        if self.columnar is not None:
            return columns_to_text([c.type for c in self.columns], self.columnar).encode("utf-8")
        return "".join("\t".join(map(_text_value, row)) + "\n" for row in self.rows).encode("utf-8")


def _text_value(value: Any) -> str:
    if value is NULL:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if type(value) is str:
        return value.translate(TEXT_ESCAPES)
    return str(value)


class _Widen(Exception):
    def __init__(self, to: LogicalType) -> None:
        self.to = to


_FAIL = object()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_json_default).decode()
    except TypeError:  # an integer beyond 64 bits inside an object: orjson refuses, the standard library does not
        return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _without_nul(value: Any) -> Any:
    """`value` with NUL characters removed from every string and key (JSON engines reject \\u0000)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _parse_temporal(parser: Callable[[str], Any]) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if type(value) is not str:
            return _FAIL
        try:
            return parser(value.replace("Z", "+00:00") if value.endswith("Z") else value).isoformat()
        except ValueError:
            return _FAIL

    return coerce


def _timestamp(value: str) -> Any:
    return dt.datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)


_TAIL = "0123456789.:+-Z"  # what may follow the seconds in a value engines read as is (fraction, offset)


def _timestamp_as_is(value: str) -> bool:
    """A valid ISO timestamp that every engine reads unchanged, so it needs no re-formatting (which, for an
    aware datetime, costs more than everything else done to a record)."""
    if len(value) < 19 or value[4] != "-" or value[10] not in "T " or value[13] != ":" or value[16] != ":":
        return False
    if value[19:].strip(_TAIL):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date_as_is(value: str) -> bool:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _time_as_is(value: str) -> bool:
    if len(value) < 8 or value[2] != ":" or value[5] != ":" or value[8:].strip(_TAIL):
        return False
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        return False
    return True


_AS_IS: dict[LogicalType, Callable[[str], bool]] = {
    T.TIMESTAMP_TZ: _timestamp_as_is,
    T.TIMESTAMP: _timestamp_as_is,
    T.DATE: _date_as_is,
    T.TIME: _time_as_is,
    T.TIME_TZ: _time_as_is,
}

_TEMPORAL = {
    T.DATE: _parse_temporal(dt.date.fromisoformat),
    T.TIME: _parse_temporal(dt.time.fromisoformat),
    T.TIME_TZ: _parse_temporal(dt.time.fromisoformat),
    T.TIMESTAMP: _parse_temporal(_timestamp),
    T.TIMESTAMP_TZ: _parse_temporal(_timestamp),
}


def coerce(column: Column, value: Any) -> Any:
    """The CSV-ready form of a non-null `value` for `column`, `_FAIL`, or raise `_Widen`."""
    kind = column.type
    vtype = type(value)
    if kind is T.STRING:
        if vtype is str:
            return value
        if vtype is bool:
            return "true" if value else "false"
        if vtype in (int, float) or isinstance(value, Decimal):
            return str(value)
        if not column.declared:  # an object or array: an inferred column becomes JSON rather than text
            raise _Widen(T.JSON)
        return _dumps(value)
    if kind is T.JSON:
        return _dumps(value)
    if kind in (T.INTEGER, T.BIG_INTEGER):
        if vtype is int:
            if not INT64_MIN <= value <= INT64_MAX:
                if not -BIG_INTEGER_MAX <= value <= BIG_INTEGER_MAX:
                    raise _Widen(T.NUMBER)
                if kind is T.INTEGER:
                    raise _Widen(T.BIG_INTEGER)
            return value
        if vtype is str and column.declared:
            try:
                return coerce(column, int(value))
            except ValueError:
                return _FAIL
        if vtype is float or isinstance(value, Decimal):
            if value == value and value not in (float("inf"), float("-inf")) and value == int(value):
                return coerce(column, int(value))
            raise _Widen(T.NUMBER)
    elif kind is T.NUMBER:
        if vtype is float or vtype is int or isinstance(value, Decimal):
            return value
        if vtype is str and column.declared:
            try:
                number = Decimal(value)
            except InvalidOperation:
                return _FAIL
            return number if number.is_finite() else _FAIL
    elif kind is T.BOOLEAN:
        if vtype is bool:
            return value
    elif kind in _TEMPORAL:
        return _TEMPORAL[kind](value)
    if column.declared:
        return _FAIL
    raise _Widen(widen(kind, kind_of(value)))


_PRECISION_LOST = ("TRUNCATED", "DESTINATION_FIELD_SIZE_LIMITATION")


def _change(field_name: str, change: str, reason: str) -> dict[str, str]:
    return {"field": field_name, "change": change, "reason": reason}


class TableShape:
    """The columns a table has (or will have) for one stream; mutated as the data evolves."""

    def __init__(self, columns: list[Column], name_for: Callable[[str], str], *, exact_numbers: bool = True) -> None:
        self.columns = columns
        self.name_for = name_for
        # False when the engine stores `number` as a double: values it cannot hold exactly are recorded
        self.exact_numbers = exact_numbers
        self._sync_id: int | None = None

    def normalize(self, records: list[Record], first_seq: int, sync_id: int | None) -> Batch:
        self._sync_id = sync_id
        columns = self.columns
        fast = fast_columns([c.field for c in columns], [c.type for c in columns], records, first_seq)
        if fast is not None and not self.exact_numbers:
            numbers = [i for i, c in enumerate(columns) if c.type is T.NUMBER]
            if any(loses_precision(v) for i in numbers for v in fast[i]):
                fast = None  # the general path records the precision a double loses
        if fast is not None:  # nothing in this batch needs a coercion, a change record or a new column
            return Batch(columns=columns, rows=[], columnar=fast)
        index = {c.field: i for i, c in enumerate(columns)}
        batch = Batch(columns=columns, rows=[])
        rows = batch.rows
        dirty: set[int] = set()
        seq = first_seq
        for data, emitted_at, upstream in records:
            row = [NULL] * len(columns)
            changes: list[dict[str, Any]] | None = list(upstream) if upstream else None
            for key, value in data.items():
                i = index.get(key)
                if i is None:
                    i = self._add_column(key, value, batch, index)
                    if i == len(row):
                        row.append(NULL)
                if value is None:
                    continue
                column = columns[i]
                kind = column.type
                vtype = type(value)
                # Fast paths for values that already fit their column as they are; the rest go through `coerce`.
                if kind is T.STRING:
                    if vtype is str and "\x00" not in value:
                        row[i] = value
                        continue
                elif kind is T.INTEGER:
                    if vtype is int and INT64_MIN <= value <= INT64_MAX:
                        row[i] = value
                        continue
                elif kind is T.NUMBER:
                    if vtype is float or (vtype is int and (self.exact_numbers or not loses_precision(value))):
                        row[i] = value
                        continue
                elif kind is T.JSON:
                    out = _dumps(value)
                    if "\\u0000" not in out:
                        row[i] = out
                        continue
                elif kind in _AS_IS and vtype is str and _AS_IS[kind](value):
                    row[i] = value
                    continue
                out = self._coerce(column, value, batch, dirty, i)
                if out is _FAIL:
                    changes = changes or []
                    changes.append(_change(key, "NULLED", "DESTINATION_TYPECAST_ERROR"))
                    continue
                if not self.exact_numbers and column.type is T.NUMBER and loses_precision(out):
                    changes = changes or []
                    changes.append(_change(key, *_PRECISION_LOST))
                if type(out) is str and "\x00" in out:
                    out = out.replace("\x00", "")
                    changes = changes or []
                    changes.append(_change(key, "TRUNCATED", "DESTINATION_SERIALIZATION_ERROR"))
                elif column.type is T.JSON and "\\u0000" in out:
                    clean = _dumps(_without_nul(value))
                    if clean != out:
                        out = clean
                        changes = changes or []
                        changes.append(_change(key, "TRUNCATED", "DESTINATION_SERIALIZATION_ERROR"))
                row[i] = out
            meta = _dumps({"changes": changes, "sync_id": sync_id}) if changes else NULL
            row.extend((emitted_at, seq, meta))
            seq += 1
            rows.append(row)
        for i in dirty:
            self._recoerce(i, records, rows)
        return batch

    def _add_column(self, key: str, value: Any, batch: Batch, index: dict[str, int]) -> int:
        name = self.name_for(key)
        for i, existing in enumerate(self.columns):
            if existing.name == name:  # a column an earlier sync created for this field, found in the table
                existing.field = key
                index[key] = i
                return i
        kind = kind_of(value) if value is not None else T.STRING
        column = Column(field=key, name=name, type=kind, declared=False)
        self.columns.append(column)
        batch.added.append(column)
        index[key] = len(self.columns) - 1
        for row in batch.rows:  # earlier rows of this batch lack the field
            row.insert(len(row) - 3, NULL)
        return index[key]

    def _coerce(self, column: Column, value: Any, batch: Batch, dirty: set[int], i: int) -> Any:
        while True:
            try:
                return coerce(column, value)
            except _Widen as exc:
                new = widen(column.type, exc.to)
                if column.declared and not is_numeric_widening(column.type, new):
                    return _FAIL
                first = batch.widened.get(column.field, (column.type, new))[0]
                batch.widened[column.field] = (first, new)
                column.type = new
                dirty.add(i)

    def _recoerce(self, i: int, records: list[Record], rows: list[list[Any]]) -> None:
        """A column widened mid-batch: earlier rows were coerced for the narrower type."""
        column = self.columns[i]
        for (data, _, _), row in zip(records, rows, strict=True):
            value = data.get(column.field)
            if value is not None and row[i] is not NULL:
                try:
                    out = coerce(column, value)
                except _Widen:  # cannot happen once the column holds the batch's widest type
                    out = _FAIL
                row[i] = NULL if out is _FAIL else out
                if not self.exact_numbers and column.type is T.NUMBER and loses_precision(out):
                    self._add_change(row, _change(column.field, *_PRECISION_LOST))

    def _add_change(self, row: list[Any], change: dict[str, str]) -> None:
        """Record a change on a row already built (its meta JSON is the last value)."""
        meta = orjson.loads(row[-1]) if row[-1] is not NULL else {"changes": [], "sync_id": self._sync_id}
        meta["changes"] = [*(meta.get("changes") or []), change]
        row[-1] = _dumps(meta)
