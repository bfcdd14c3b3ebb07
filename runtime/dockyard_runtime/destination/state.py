"""STATE bookkeeping by the protocol's rules.

A state is echoed only after every record received before it is committed. Each received state is echoed
exactly once, in received order, with every unknown field kept and `destinationStats.recordCount` set to the
number of records that state covers (for a STREAM state: records of that stream since its previous state; for
GLOBAL and legacy states: all records since the previous state).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from dockyard_runtime.destination.catalog import StreamKey


def state_stream_key(state: Mapping[str, Any]) -> StreamKey | None:
    """The stream a STREAM state is about, or None for GLOBAL and legacy states."""
    if state.get("type") != "STREAM":
        return None
    descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
    namespace = descriptor.get("namespace")
    return (str(namespace) if namespace else None, str(descriptor.get("name")))


class StateTracker:
    """Counts records per stream between states and holds states until their records are committed."""

    def __init__(self, route: Callable[[StreamKey], StreamKey | None] | None = None) -> None:
        """`route` maps a state's stream descriptor to the key records are counted under (the write loop's
        routing, so a state naming a namespace the catalog left out still gets its stream's count)."""
        self._route = route
        # Records per stream since its last state; the write loop's hot path increments it directly.
        self.since_state: Counter[StreamKey] = Counter()
        self._pending: list[dict[str, Any]] = []

    def record(self, key: StreamKey) -> None:
        self.since_state[key] += 1

    def add_records(self, key: StreamKey, count: int) -> None:
        self.since_state[key] += count

    def receive(self, message: dict[str, Any]) -> None:
        """Hold a STATE message (the whole message dict, unknown fields included) until the next commit."""
        state = message.get("state")
        if not isinstance(state, dict):
            state = {}
            message["state"] = state
        key = state_stream_key(state)
        if key is not None and self._route is not None:
            key = self._route(key) or key
        if key is not None:
            count = self.since_state.pop(key, 0)
        else:
            count = sum(self.since_state.values())
            self.since_state.clear()
        stats = state.get("destinationStats")
        if not isinstance(stats, dict):
            stats = {}
            state["destinationStats"] = stats
        stats["recordCount"] = float(count)
        self._pending.append(message)

    @property
    def pending(self) -> list[dict[str, Any]]:
        return self._pending

    def uncovered(self) -> dict[StreamKey, int]:
        """Per stream, the records received since its last state: no state covers them yet."""
        return {key: count for key, count in self.since_state.items() if count}

    def take_pending(self) -> list[dict[str, Any]]:
        """The states now covered by a commit, in received order; they are no longer pending."""
        taken, self._pending = self._pending, []
        return taken
