"""Logical types: the widening lattice (checked exhaustively: it is small) and Airbyte's JSON schema conventions."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from dockyard_runtime.sql.types import LogicalType, from_json_schema, is_numeric_widening, kind_of, widen

T = LogicalType
ALL = list(LogicalType)
PAIRS = list(itertools.product(ALL, repeat=2))


def holds(wide: LogicalType, narrow: LogicalType) -> bool:
    return widen(wide, narrow) == wide


def test_widen_is_idempotent_and_commutative() -> None:
    for a, b in PAIRS:
        assert widen(a, a) == a
        assert widen(a, b) == widen(b, a), (a, b)


def test_widen_is_associative() -> None:
    for a, b, c in itertools.product(ALL, repeat=3):
        assert widen(widen(a, b), c) == widen(a, widen(b, c)), (a, b, c)


def test_widen_is_an_upper_bound_and_the_least_one() -> None:
    for a, b in PAIRS:
        joined = widen(a, b)
        assert holds(joined, a) and holds(joined, b), (a, b)
        for c in ALL:  # any other common upper bound is at least as wide
            if holds(c, a) and holds(c, b):
                assert holds(c, joined), (a, b, c)


def test_json_absorbs_everything_and_string_everything_scalar() -> None:
    for a in ALL:
        assert widen(a, T.JSON) == T.JSON
        if a is not T.JSON:
            assert widen(a, T.STRING) == T.STRING


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T.INTEGER, T.BIG_INTEGER, T.BIG_INTEGER),
        (T.INTEGER, T.NUMBER, T.NUMBER),
        (T.BIG_INTEGER, T.NUMBER, T.NUMBER),
        (T.DATE, T.TIMESTAMP, T.TIMESTAMP),
        (T.DATE, T.TIMESTAMP_TZ, T.TIMESTAMP_TZ),
        (T.TIMESTAMP, T.TIMESTAMP_TZ, T.TIMESTAMP_TZ),
        (T.TIME, T.TIME_TZ, T.TIME_TZ),
        (T.TIME, T.DATE, T.STRING),
        (T.BOOLEAN, T.INTEGER, T.STRING),
        (T.NUMBER, T.DATE, T.STRING),
        (T.STRING, T.JSON, T.JSON),
    ],
)
def test_widen_examples(a: LogicalType, b: LogicalType, expected: LogicalType) -> None:
    assert widen(a, b) == expected


def test_numeric_widening_only_goes_up_the_numeric_chain() -> None:
    allowed = {(a, b) for a, b in PAIRS if is_numeric_widening(a, b)}
    assert allowed == {
        (T.INTEGER, T.BIG_INTEGER),
        (T.INTEGER, T.NUMBER),
        (T.BIG_INTEGER, T.NUMBER),
    }


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (True, T.BOOLEAN),
        (False, T.BOOLEAN),
        (0, T.INTEGER),
        (2**63 - 1, T.INTEGER),
        (-(2**63), T.INTEGER),
        (2**63, T.BIG_INTEGER),
        (-(2**63) - 1, T.BIG_INTEGER),
        (1.5, T.NUMBER),
        (Decimal("1.5"), T.NUMBER),
        ("2024-01-01", T.STRING),  # values are never guessed to be dates
        ("", T.STRING),
        ({"a": 1}, T.JSON),
        ([1], T.JSON),
    ],
)
def test_kind_of(value: Any, kind: LogicalType) -> None:
    assert kind_of(value) == kind


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ({"type": "integer"}, T.INTEGER),
        ({"type": ["null", "integer"]}, T.INTEGER),
        ({"type": "number", "airbyte_type": "integer"}, T.INTEGER),
        ({"type": "number"}, T.NUMBER),
        ({"type": ["number", "null"]}, T.NUMBER),
        ({"type": "boolean"}, T.BOOLEAN),
        ({"type": "string"}, T.STRING),
        ({"type": "string", "contentEncoding": "base64"}, T.STRING),
        ({"type": "string", "format": "date"}, T.DATE),
        ({"type": "string", "format": "date-time"}, T.TIMESTAMP_TZ),
        ({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}, T.TIMESTAMP_TZ),
        ({"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"}, T.TIMESTAMP),
        ({"type": "string", "format": "time"}, T.TIME),
        ({"type": "string", "format": "time", "airbyte_type": "time_without_timezone"}, T.TIME),
        ({"type": "string", "format": "time", "airbyte_type": "time_with_timezone"}, T.TIME_TZ),
        ({"type": "string", "format": "email"}, T.STRING),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, T.JSON),
        ({"type": "array", "items": {"type": "integer"}}, T.JSON),
        ({"type": ["string", "integer"]}, T.JSON),  # a real union keeps every value
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, T.JSON),
        ({}, T.JSON),
        ({"type": "null"}, T.JSON),
        ({"$ref": "#/definitions/x"}, T.JSON),
        ("not a schema", T.JSON),
        (True, T.JSON),
    ],
)
def test_from_json_schema(schema: Any, kind: LogicalType) -> None:
    assert from_json_schema(schema) == kind
