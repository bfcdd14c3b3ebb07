"""Incremental reads: a state after every slice, resuming after the cursor, nothing old read twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.capture import records_of, states_of

Read = Callable[..., list[dict[str, Any]]]


def _cursor(state: dict[str, Any]) -> str:
    value: str = state["stream"]["stream_state"]["updated_at"]
    return value


def test_a_state_follows_every_slice(read: Read) -> None:
    messages = read({"count": 100, "records_per_slice": 30}, "users")
    kinds = [m["type"] for m in messages if m["type"] in ("RECORD", "STATE")]
    assert kinds == (["RECORD"] * 30 + ["STATE"]) * 3 + ["RECORD"] * 10 + ["STATE"]
    counts = [s["sourceStats"]["recordCount"] for s in states_of(messages)]
    assert counts == [30.0, 30.0, 30.0, 10.0]


def test_each_state_is_the_cursor_of_the_last_record_before_it(read: Read) -> None:
    messages = read({"count": 45, "records_per_slice": 10}, "purchases")
    last_updated = None
    for message in messages:
        if message["type"] == "RECORD":
            last_updated = message["record"]["data"]["updated_at"]
        elif message["type"] == "STATE":
            assert message["state"]["type"] == "STREAM"
            assert message["state"]["stream"]["stream_descriptor"] == {"name": "purchases"}
            assert message["state"]["stream"]["stream_state"] == {"updated_at": last_updated, "seed": 42}


def test_second_read_from_final_state_emits_nothing_older(read: Read) -> None:
    config = {"count": 120, "records_per_slice": 50}
    first = read(config)
    final = [states_of(first, stream)[-1] for stream in ("users", "products", "purchases")]
    second = read(config, state=final)
    assert records_of(second) == []
    # the state is emitted again, unchanged, so the platform keeps its checkpoint
    assert [_cursor(s) for s in states_of(second)] == [_cursor(s) for s in final]


def test_a_larger_count_reads_only_the_new_records(read: Read) -> None:
    first = read({"count": 100}, "users")
    state = states_of(first)[-1]
    second = read({"count": 130}, "users", state=[state])
    new = records_of(second)
    assert [r["id"] for r in new] == list(range(101, 131))
    assert all(r["updated_at"] > _cursor(state) for r in new)
    assert new == records_of(read({"count": 130}, "users"))[100:]


def test_state_messages_as_written_can_be_fed_back(read: Read) -> None:
    first = read({"count": 40, "records_per_slice": 25}, "users")
    message = next(m for m in first if m["type"] == "STATE")  # the whole STATE message, as a file might hold
    rest = records_of(read({"count": 40}, "users", state=[message]))
    assert [r["id"] for r in rest] == list(range(26, 41))


def test_legacy_state_object_is_accepted(read: Read) -> None:
    cursor = "2020-01-01T00:10:00+00:00"  # the updated_at of id 10
    rest = records_of(read({"count": 12}, "users", state={"users": {"updated_at": cursor}}))
    assert [r["id"] for r in rest] == [11, 12]


def test_full_refresh_ignores_the_state(read: Read) -> None:
    state = states_of(read({"count": 20}, "users"))[-1]
    again = read({"count": 20}, "users", state=[state], sync_mode="full_refresh")
    assert len(records_of(again)) == 20


@pytest.mark.parametrize(
    ("stream_state", "expected"),
    [
        ({"updated_at": "yesterday"}, "updated_at 'yesterday' is not an ISO 8601 date-time"),
        ({"updated_at": 1234}, "updated_at 1234 is not an ISO 8601 date-time"),
    ],
)
def test_bad_cursor_in_state_is_a_config_error(read: Read, stream_state: dict[str, Any], expected: str) -> None:
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"}, "stream_state": stream_state}}]
    with pytest.raises(ConfigError, match=expected) as info:
        read({"count": 5}, "users", state=state)
    assert "stream 'users'" in info.value.message


def test_bad_state_shape_fails_before_any_record(read: Read) -> None:
    with pytest.raises(ConfigError, match="The state is not valid"):
        read({"count": 5}, state=[{"type": "STREAM", "stream": {"stream_state": {}}}])


def test_state_from_another_seed_is_used_with_a_warning(read: Read, caplog: pytest.LogCaptureFixture) -> None:
    state = states_of(read({"count": 10, "seed": 1}, "users"))[-1]
    with caplog.at_level(logging.WARNING):
        rest = records_of(read({"count": 12, "seed": 2}, "users", state=[state]))
    assert [r["id"] for r in rest] == [11, 12]
    assert "written with seed 1" in caplog.text
