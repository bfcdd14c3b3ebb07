"""StateTracker: record counts per state kind, unknown fields kept, pending states released in order."""

from __future__ import annotations

from typing import Any

from dockyard_runtime.destination.state import StateTracker, state_stream_key


def stream_state(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": name}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": descriptor}, **extra}}


def counts(messages: list[dict[str, Any]]) -> list[float]:
    return [m["state"]["destinationStats"]["recordCount"] for m in messages]


def test_state_stream_key() -> None:
    assert state_stream_key(stream_state("users")["state"]) == (None, "users")
    assert state_stream_key(stream_state("users", "app")["state"]) == ("app", "users")
    assert state_stream_key(stream_state("users", "")["state"]) == (None, "users")
    assert state_stream_key({"type": "GLOBAL", "global": {}}) is None
    assert state_stream_key({"data": {"cursor": 1}}) is None


def test_stream_state_counts_only_its_stream_since_its_previous_state() -> None:
    tracker = StateTracker()
    for key in [(None, "a"), (None, "b"), (None, "a")]:
        tracker.record(key)
    tracker.receive(stream_state("a"))
    tracker.add_records((None, "a"), 4)
    tracker.receive(stream_state("b"))
    tracker.receive(stream_state("a"))
    tracker.receive(stream_state("a"))
    assert counts(tracker.take_pending()) == [2.0, 1.0, 4.0, 0.0]


def test_global_and_legacy_states_count_everything_since_the_previous_state() -> None:
    tracker = StateTracker()
    tracker.add_records((None, "a"), 3)
    tracker.add_records(("x", "b"), 2)
    tracker.receive({"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {}}}})
    tracker.record((None, "a"))
    tracker.receive({"type": "STATE", "state": {"data": {"cursor": 7}}})
    tracker.receive({"type": "STATE", "state": {"type": "LEGACY", "data": {}}})
    assert counts(tracker.take_pending()) == [5.0, 1.0, 0.0]


def test_unknown_fields_are_kept_and_existing_stats_extended() -> None:
    message = stream_state("a", sourceStats={"recordCount": 9.0}, id=12, future_field=[1])
    message["extra_top_level"] = True
    message["state"]["destinationStats"] = {"something_else": "kept"}
    tracker = StateTracker()
    tracker.add_records((None, "a"), 9)
    tracker.receive(message)
    (out,) = tracker.take_pending()
    assert out["extra_top_level"] is True
    assert out["state"]["id"] == 12
    assert out["state"]["future_field"] == [1]
    assert out["state"]["sourceStats"] == {"recordCount": 9.0}
    assert out["state"]["destinationStats"] == {"something_else": "kept", "recordCount": 9.0}


def test_a_state_without_a_body_still_gets_stats() -> None:
    tracker = StateTracker()
    tracker.record((None, "a"))
    message: dict[str, Any] = {"type": "STATE"}
    tracker.receive(message)
    assert message["state"] == {"destinationStats": {"recordCount": 1.0}}


def test_take_pending_releases_in_received_order_once() -> None:
    tracker = StateTracker()
    states = [stream_state(n) for n in "abc"]
    for s in states:
        tracker.receive(s)
    assert tracker.pending == states
    assert tracker.take_pending() == states
    assert tracker.take_pending() == []


def test_route_maps_a_descriptor_to_the_counted_stream() -> None:
    tracker = StateTracker(route=lambda key: (None, key[1]))
    tracker.add_records((None, "a"), 2)
    tracker.receive(stream_state("a", namespace="public"))
    assert counts(tracker.take_pending()) == [2.0]
