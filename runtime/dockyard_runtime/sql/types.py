"""Logical column types: from JSON schema, from observed values, and how they widen.

Dialects map each logical type to a physical one; the widening rules live here once, so every SQL
destination evolves its tables the same way (BIGINT -> NUMERIC -> TEXT, anything -> JSON).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class LogicalType(str, enum.Enum):
    BOOLEAN = "boolean"
    INTEGER = "integer"  # fits a signed 64-bit integer
    BIG_INTEGER = "big_integer"  # an integer beyond 64 bits, of at most 38 digits (DECIMAL(38,0) everywhere)
    NUMBER = "number"
    STRING = "string"
    DATE = "date"
    TIME = "time"
    TIME_TZ = "time_tz"
    TIMESTAMP = "timestamp"
    TIMESTAMP_TZ = "timestamp_tz"
    JSON = "json"


T = LogicalType
_NUMERIC_RANK = {T.INTEGER: 0, T.BIG_INTEGER: 1, T.NUMBER: 2}
_TEMPORAL_CHAINS = ((T.DATE, T.TIMESTAMP, T.TIMESTAMP_TZ), (T.TIME, T.TIME_TZ))
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BIG_INTEGER_MAX = 10**38 - 1  # beyond this an integer is a NUMBER: most engines cap DECIMAL precision at 38


def widen(a: LogicalType, b: LogicalType) -> LogicalType:
    """The narrowest type that holds every value of both `a` and `b`."""
    if a == b:
        return a
    if T.JSON in (a, b):
        return T.JSON
    if a in _NUMERIC_RANK and b in _NUMERIC_RANK:
        return a if _NUMERIC_RANK[a] > _NUMERIC_RANK[b] else b
    for chain in _TEMPORAL_CHAINS:
        if a in chain and b in chain:
            return chain[max(chain.index(a), chain.index(b))]
    return T.STRING


def is_numeric_widening(declared: LogicalType, wider: LogicalType) -> bool:
    """Declared columns only widen along the numeric chain; other mismatches are bad values, not new types."""
    return declared in _NUMERIC_RANK and wider in _NUMERIC_RANK and _NUMERIC_RANK[wider] > _NUMERIC_RANK[declared]


def kind_of(value: Any) -> LogicalType:
    """The logical type a JSON value would need (for fields the schema does not declare)."""
    if isinstance(value, bool):
        return T.BOOLEAN
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return T.INTEGER
        return T.BIG_INTEGER if -BIG_INTEGER_MAX <= value <= BIG_INTEGER_MAX else T.NUMBER
    if isinstance(value, (float, Decimal)):
        return T.NUMBER
    if isinstance(value, str):
        return T.STRING
    return T.JSON


def _types_of(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared] if declared != "null" else []
    if isinstance(declared, list):
        return [t for t in declared if t != "null"]
    return []


def from_json_schema(schema: Any) -> LogicalType:
    """Map one property's JSON schema (Airbyte conventions: `format`, `airbyte_type`) to a logical type."""
    if not isinstance(schema, Mapping):
        return T.JSON
    if any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        return T.JSON
    types = _types_of(schema)
    if len(types) != 1:
        return T.JSON
    kind = types[0]
    airbyte_type = schema.get("airbyte_type")
    if kind == "integer" or airbyte_type == "integer":
        return T.INTEGER
    if kind == "number":
        return T.NUMBER
    if kind == "boolean":
        return T.BOOLEAN
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return T.TIMESTAMP if airbyte_type == "timestamp_without_timezone" else T.TIMESTAMP_TZ
        if fmt == "date":
            return T.DATE
        if fmt == "time":
            return T.TIME_TZ if airbyte_type == "time_with_timezone" else T.TIME
        return T.STRING
    return T.JSON
