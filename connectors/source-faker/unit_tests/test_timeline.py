"""The table-driven timestamp formatting and the id <-> cursor mapping behind resuming."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
from source_faker.draws import table, weighted_table
from source_faker.timeline import (
    format_many,
    format_one,
    format_optional,
    last_id_at,
    parse_cursor,
    updated_at_seconds,
)


def test_formatting_matches_datetime_isoformat() -> None:
    rng = random.Random(0)
    seconds = [0, 86_399, 86_400, 951_782_400, 4_102_444_799] + [rng.randrange(0, 4_102_444_800) for _ in range(500)]
    expected = [datetime.fromtimestamp(s, timezone.utc).isoformat() for s in seconds]
    assert format_many(seconds) == expected
    assert format_optional([None, seconds[1], None]) == [None, expected[1], None]
    assert format_optional([None]) == [None]


@pytest.mark.parametrize("record_id", [1, 2, 999, 1000, 1001, 123_456])
def test_cursor_of_a_record_leads_back_to_its_id(record_id: int) -> None:
    cursor = format_one(updated_at_seconds(record_id))
    assert last_id_at(parse_cursor(cursor)) == record_id
    assert last_id_at(parse_cursor(cursor) - 1) == record_id - 1


def test_cursor_before_the_first_record_resumes_from_the_start() -> None:
    assert last_id_at(parse_cursor("1999-12-31T23:59:59Z")) == 0
    assert last_id_at(parse_cursor("2020-01-01T00:00:30")) == 0  # naive times are taken as UTC


@pytest.mark.parametrize("value", ["soon", 17, None, "2020-13-01T00:00:00"])
def test_non_iso_cursor_is_rejected(value: object) -> None:
    with pytest.raises(ValueError):
        parse_cursor(value)


def test_tables_spread_values_over_256_slots() -> None:
    slots = table(["a", "b", "c"])
    assert len(slots) == 256
    assert {v: slots.count(v) for v in "abc"} == {"a": 86, "b": 85, "c": 85}
    weighted = weighted_table([("x", 3), ("y", 1)])
    assert (weighted.count("x"), weighted.count("y")) == (192, 64)
    with pytest.raises(ValueError):
        table(list(range(257)))
