"""Comparing what a destination returns with what was sent, across engines' type differences.

Engines hand values back as their own types: DECIMAL as Decimal, JSON columns as text, timestamps as datetime,
numbers as IEEE doubles. A value "landed" when it reads back as the same value once both sides are put in one
form; nothing else is forgiven (an empty string that comes back NULL did not land).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Row = Mapping[str, Any]
EXACT_INTEGER_LIMIT = 10**38


def column(row: Row, name: str) -> Any:
    """The value of column `name` (case-insensitive: some engines fold identifiers to upper case)."""
    if name in row:
        return row[name]
    lowered = name.lower()
    for key, value in row.items():
        if key.lower() == lowered:
            return value
    raise KeyError(name)


def has_column(row: Row, name: str) -> bool:
    try:
        column(row, name)
    except KeyError:
        return False
    return True


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _parse_json_text(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _temporal(sent: str, got: Any) -> bool:
    text = sent.replace("Z", "+00:00") if sent.endswith("Z") else sent
    try:
        if isinstance(got, dt.datetime):
            want = dt.datetime.fromisoformat(text)
            if want.tzinfo is None and got.tzinfo is not None:
                want = want.replace(tzinfo=dt.timezone.utc)
            if got.tzinfo is None and want.tzinfo is not None:
                got = got.replace(tzinfo=dt.timezone.utc)
            return bool(want == got)
        if isinstance(got, dt.date):
            return dt.date.fromisoformat(text) == got
        if isinstance(got, dt.time):
            parsed = dt.time.fromisoformat(text)
            return parsed.replace(tzinfo=None) == got.replace(tzinfo=None)
    except ValueError:
        return False
    return False


def same(sent: Any, got: Any, *, nested: bool = False) -> bool:
    """True when `got` (read back) is the value `sent`, in whatever form the engine returns it."""
    if sent is None:
        return got is None or (nested and got == "null")
    if got is None:
        return False
    if isinstance(sent, bool):
        return got is sent or (isinstance(got, str) and got.lower() == str(sent).lower())
    if isinstance(sent, (int, float, Decimal)):
        want, have = _number(sent), _number(got)
        if want is None or have is None:
            return False
        if want == have:
            return True
        # Integers of up to 38 digits fit DECIMAL(38,0) everywhere and must come back exact. Decimals, and
        # integers beyond 38 digits, are `number`s, which some engines (DuckDB) store as IEEE doubles: the double
        # nearest to the value is accepted there (docs/acceptance-tests.md, "Numbers").
        exact_integer = want == want.to_integral_value() and abs(want) < EXACT_INTEGER_LIMIT
        return not exact_integer and isinstance(got, float) and float(sent) == got
    if isinstance(sent, str):
        if isinstance(got, str):
            return got == sent
        if isinstance(got, (dt.date, dt.time)):
            return _temporal(sent, got)
        return False
    if isinstance(sent, (dict, list)):
        got = _parse_json_text(got)
        if isinstance(sent, dict):
            return (
                isinstance(got, dict)
                and set(sent) == set(got)
                and all(same(v, got[k], nested=True) for k, v in sent.items())
            )
        return (
            isinstance(got, list)
            and len(got) == len(sent)
            and all(same(a, b, nested=True) for a, b in zip(sent, got, strict=True))
        )
    equal: bool = sent == got
    return equal


def loosely_same(sent: Any, got: Any) -> bool:
    """`same`, or the value kept as text by a column that widened to a string type (5 -> "5")."""
    if same(sent, got):
        return True
    if isinstance(got, str) and sent is not None:
        if isinstance(sent, (dict, list)):
            return same(sent, _parse_json_text(got))
        text = json.dumps(sent) if isinstance(sent, bool) else str(sent)
        return got == text or same(sent, _parse_json_text(got))
    return False


def meta_changes(row: Row) -> list[Mapping[str, Any]]:
    """The `_airbyte_meta.changes` of a row (the column may come back as JSON text)."""
    try:
        meta = _parse_json_text(column(row, "_airbyte_meta"))
    except KeyError:
        return []
    changes = meta.get("changes") if isinstance(meta, Mapping) else None
    return [c for c in changes or [] if isinstance(c, Mapping)]


def changed_fields(row: Row) -> set[str]:
    return {str(c.get("field")) for c in meta_changes(row)}


def show(value: Any) -> str:
    """A short repr for assertion messages."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
