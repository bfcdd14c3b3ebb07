"""State: parsing what the platform sends, resume points, and the states written back."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from dockyard_runtime import protocol
from source_postgres.catalog import StreamPlan
from source_postgres.config import PostgresConfig
from source_postgres.discovery import Table
from source_postgres.full_refresh import resume_point
from source_postgres.incremental import cursor_state, start_point
from source_postgres.state import Checkpointer, GlobalCheckpointer, parse_state
from source_postgres.types import Column

TABLE = Table(
    1,
    "public",
    "users",
    "r",
    (Column("id", "integer", "integer", False), Column("updated_at", "timestamp", "timestamp")),
    ("id",),
)
FULL = StreamPlan(TABLE, "full_refresh", None, ("id",))
INCREMENTAL = StreamPlan(TABLE, "incremental", "updated_at", ("id",))


@pytest.fixture
def output() -> Iterator[io.BytesIO]:
    buffer = io.BytesIO()
    protocol.set_output(buffer)
    yield buffer
    protocol.set_output(io.BytesIO())


def _stream_message(stream_state: dict[str, Any], name: str = "users") -> dict[str, Any]:
    return {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": name, "namespace": "public"}, "stream_state": stream_state},
    }


def test_parse_state_accepts_bare_and_wrapped_stream_messages() -> None:
    wrapped = {"type": "STATE", "state": _stream_message({"a": 1}, "orders")}
    state = parse_state([_stream_message({"b": 2}), wrapped])
    assert state.streams == {("public", "users"): {"b": 2}, ("public", "orders"): {"a": 1}}
    assert state.shared is None


def test_parse_state_reads_global_state() -> None:
    message = {
        "type": "GLOBAL",
        "global": {
            "shared_state": {"state_type": "cdc", "lsn": 42},
            "stream_states": [
                {"stream_descriptor": {"name": "users", "namespace": "public"}, "stream_state": {"x": 1}}
            ],
        },
    }
    state = parse_state([message])
    assert state.shared == {"state_type": "cdc", "lsn": 42}
    assert state.streams == {("public", "users"): {"x": 1}}


@pytest.mark.parametrize("raw", [None, [], {}, [{"type": "LEGACY", "data": {}}]])
def test_empty_or_unsupported_state_means_start_from_scratch(raw: Any) -> None:
    state = parse_state(raw)
    assert state.streams == {} and state.shared is None


def test_full_refresh_resumes_only_an_unfinished_read_over_the_same_key() -> None:
    base = {"state_type": "full_refresh", "pk_columns": ["id"], "pk_values": ["57"]}
    assert resume_point(FULL, base) == ["57"]
    assert resume_point(FULL, {**base, "complete": True}) is None
    assert resume_point(FULL, {**base, "pk_columns": ["other"]}) is None
    assert resume_point(FULL, {**base, "pk_values": ["1", "2"]}) is None
    assert resume_point(FULL, base, state_type="snapshot") is None
    assert resume_point(FULL, None) is None


def test_incremental_start_point() -> None:
    state = cursor_state(INCREMENTAL, "2024-01-01 00:00:00", ["7"])
    assert state == {
        "state_type": "cursor",
        "cursor_field": ["updated_at"],
        "cursor": "2024-01-01 00:00:00",
        "pk_columns": ["id"],
        "pk_values": ["7"],
    }
    assert start_point(INCREMENTAL, state) == (["2024-01-01 00:00:00", "7"], True)
    # a state without tie-break values bounds the cursor alone
    assert start_point(INCREMENTAL, {**state, "pk_values": []}) == (["2024-01-01 00:00:00"], False)
    # another cursor field, or no cursor yet: from the beginning
    assert start_point(INCREMENTAL, {**state, "cursor_field": ["id"]}) == (None, False)
    assert start_point(INCREMENTAL, {**state, "cursor": None}) == (None, False)


def test_checkpointers_write_stream_and_global_states_with_record_counts(output: io.BytesIO) -> None:
    checkpointer = Checkpointer()
    checkpointer.add_records(3)
    checkpointer.checkpoint(("public", "users"), {"k": 1})
    global_checkpointer = GlobalCheckpointer({"lsn": 5}, {("public", "a"): {"done": True}})
    global_checkpointer.add_records(2)
    global_checkpointer.checkpoint(("public", "b"), {"k": 2})
    first, second = (json.loads(line)["state"] for line in output.getvalue().splitlines())
    assert first["type"] == "STREAM" and first["sourceStats"] == {"recordCount": 3.0}
    assert first["stream"]["stream_state"] == {"k": 1}
    assert second["type"] == "GLOBAL" and second["sourceStats"] == {"recordCount": 2.0}
    assert second["global"]["shared_state"] == {"lsn": 5}
    assert [s["stream_descriptor"]["name"] for s in second["global"]["stream_states"]] == ["a", "b"]


def test_checkpoint_interval_caps_fetches_and_triggers_before_overshooting() -> None:
    config = PostgresConfig("h", 5432, "d", "u", None, batch_size=4, checkpoint_records=10)
    assert config.fetch_size == 4
    assert [n for n in range(0, 30, 4) if config.checkpoint_due(n)] == [8, 12, 16, 20, 24, 28]
    assert PostgresConfig("h", 5432, "d", "u", None, batch_size=100, checkpoint_records=10).fetch_size == 10
