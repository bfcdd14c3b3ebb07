"""Turning a batch of records into typed rows for bulk loading, once for every SQL destination.

Each value is checked against its column's logical type. A value that fits is written as the text the engine
parses (CSV); a value that does not is nulled and recorded in `_airbyte_meta.changes`; a value that needs a
wider type widens the column (declared columns only along the numeric chain, inferred columns freely) and the
column is re-coerced for the whole batch. Fields the schema does not declare become new inferred columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from dockyard_runtime.destination.loader import Record
from dockyard_runtime.sql.types import INT64_MAX, INT64_MIN, LogicalType, is_numeric_widening, kind_of, widen

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
    """Rows ready for CSV: data columns in `columns` order, then emitted_at (ms), sequence and meta JSON."""

    columns: list[Column]
    rows: list[list[Any]]
    widened: dict[str, tuple[LogicalType, LogicalType]] = field(default_factory=dict)
    added: list[Column] = field(default_factory=list)


class _Widen(Exception):
    def __init__(self, to: LogicalType) -> None:
        self.to = to


_FAIL = object()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=_json_default).decode()


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
        return _dumps(value)
    if kind is T.JSON:
        return _dumps(value)
    if kind in (T.INTEGER, T.BIG_INTEGER):
        if vtype is int:
            if kind is T.INTEGER and not INT64_MIN <= value <= INT64_MAX:
                raise _Widen(T.BIG_INTEGER)
            return value
        if vtype is float or isinstance(value, Decimal):
            if value == value and value not in (float("inf"), float("-inf")) and value == int(value):
                return coerce(column, int(value))
            raise _Widen(T.NUMBER)
    elif kind is T.NUMBER:
        if vtype is float or vtype is int or isinstance(value, Decimal):
            return value
        if vtype is str and column.declared:
            try:
                return Decimal(value)
            except InvalidOperation:
                return _FAIL
    elif kind is T.BOOLEAN:
        if vtype is bool:
            return value
    elif kind in _TEMPORAL:
        return _TEMPORAL[kind](value)
    if column.declared:
        return _FAIL
    raise _Widen(widen(kind, kind_of(value)))


def _change(field_name: str, change: str, reason: str) -> dict[str, str]:
    return {"field": field_name, "change": change, "reason": reason}


class TableShape:
    """The columns a table has (or will have) for one stream; mutated as the data evolves."""

    def __init__(self, columns: list[Column], name_for: Callable[[str], str]) -> None:
        self.columns = columns
        self.name_for = name_for

    def normalize(self, records: list[Record], first_seq: int, sync_id: int | None) -> Batch:
        columns = self.columns
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
                    row.append(NULL)
                if value is None:
                    continue
                column = columns[i]
                if column.type is T.STRING and type(value) is str and "\x00" not in value:
                    row[i] = value
                    continue
                out = self._coerce(column, value, batch, dirty, i)
                if out is _FAIL:
                    changes = changes or []
                    changes.append(_change(key, "NULLED", "DESTINATION_TYPECAST_ERROR"))
                    continue
                if type(out) is str and "\x00" in out:
                    out = out.replace("\x00", "")
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
        kind = kind_of(value) if value is not None else T.STRING
        column = Column(field=key, name=self.name_for(key), type=kind, declared=False)
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
