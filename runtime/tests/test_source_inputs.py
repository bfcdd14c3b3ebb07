"""Checking a read's configured catalog and state before the first record."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.inputs import parse_catalog, parse_state
from dockyard_runtime.source.streams import StreamDefinition

OFFERED = [
    StreamDefinition("users", {}, cursor_field=["updated_at"]),
    StreamDefinition("events", {}, namespace="app"),
]


def entry(name: str, sync_mode: str = "full_refresh", **stream: Any) -> dict[str, Any]:
    return {"stream": {"name": name, **stream}, "sync_mode": sync_mode, "destination_sync_mode": "append"}


def test_catalog_entries_are_matched_in_catalog_order() -> None:
    configured = parse_catalog({"streams": [entry("events", namespace="app"), entry("users", "incremental")]}, OFFERED)
    assert [(c.name, c.sync_mode, c.incremental) for c in configured] == [
        ("events", "full_refresh", False),
        ("users", "incremental", True),
    ]
    assert configured[0].definition is OFFERED[1]


@pytest.mark.parametrize(
    ("catalog", "message"),
    [
        (None, "must be a JSON object with a 'streams' list"),
        ({"streams": [entry("orders")]}, r"Unknown stream 'orders' in the configured catalog \(expected one of: "),
        ({"streams": [entry("events")]}, r"Unknown stream 'events'.*expected one of: app.events, users\)"),
        ({"streams": [entry("users"), entry("users")]}, "appears more than once"),
        ({"streams": [entry("users", "merge")]}, r"Unknown sync mode 'merge' for stream users \(expected: "),
        ({"streams": [entry("events", "incremental", namespace="app")]}, "does not support sync mode"),
        ({"streams": [{"sync_mode": "full_refresh"}]}, r"streams\[0\] must be an object"),
    ],
)
def test_bad_catalogs_are_config_errors(catalog: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_catalog(catalog, OFFERED)


def _stream_state(name: str, state: Any, **descriptor: Any) -> dict[str, Any]:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name, **descriptor}, "stream_state": state}}


def test_state_forms_that_platforms_send() -> None:
    per_stream = [_stream_state("users", {"c": 1}), _stream_state("events", {"c": 2}, namespace="app")]
    assert parse_state(per_stream) == {(None, "users"): {"c": 1}, ("app", "events"): {"c": 2}}
    assert parse_state(per_stream[0]) == {(None, "users"): {"c": 1}}
    assert parse_state([{"type": "STATE", "state": per_stream[0]}]) == {(None, "users"): {"c": 1}}
    assert parse_state({"users": {"c": 3}}) == {(None, "users"): {"c": 3}}
    assert parse_state([{"type": "LEGACY", "data": {"users": {"c": 4}}}]) == {(None, "users"): {"c": 4}}
    assert parse_state(None) == parse_state([]) == parse_state({}) == {}
    assert parse_state([_stream_state("users", None)]) == {}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("users", "it is a JSON str"),
        ([1], "entry 0 is not an object"),
        ([{"type": "GLOBAL", "global": {}}], "entry 0 is a GLOBAL state"),
        ([{"type": "STREAM", "stream": {"stream_state": {}}}], "entry 0 has no stream.stream_descriptor.name"),
        ([{"type": "PER_STREAM"}], "unknown type 'PER_STREAM'"),
        ([_stream_state("users", [1])], "the stream_state of stream 'users' is not an object"),
        ([_stream_state("users", {}), _stream_state("users", {})], "stream 'users' has more than one state"),
        ({"users": 5}, "the state of stream 'users' in the state is not an object"),
    ],
)
def test_bad_states_are_config_errors(state: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=f"The state is not valid: .*{message}"):
        parse_state(state)
