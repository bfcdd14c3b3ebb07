"""Checking the configured catalog and the input state of a `read` before the first record goes out.

A sync that stops half-way because the catalog named an unknown stream leaves the destination with part of
the data; checking both inputs in full first turns every such mistake into one ConfigError that names the
entry and the valid values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.streams import FULL_REFRESH, INCREMENTAL, ConfiguredStream, StreamDefinition

StreamKey: TypeAlias = tuple[str | None, str]
"""(namespace, name) of a stream."""

_STATE_SHAPE = (
    'expected a list of per-stream states like [{"type": "STREAM", "stream": {"stream_descriptor": '
    '{"name": "users"}, "stream_state": {...}}}]'
)


def _label(key: StreamKey) -> str:
    namespace, name = key
    return name if namespace is None else f"{namespace}.{name}"


def parse_catalog(catalog: Any, offered: Sequence[StreamDefinition]) -> list[ConfiguredStream]:
    """The configured streams in catalog order, each matched to the source's definition."""
    if not isinstance(catalog, Mapping) or not isinstance(catalog.get("streams"), list):
        raise ConfigError("The configured catalog must be a JSON object with a 'streams' list.")
    by_key: dict[StreamKey, StreamDefinition] = {(d.namespace, d.name): d for d in offered}
    configured: list[ConfiguredStream] = []
    seen: set[StreamKey] = set()
    for index, entry in enumerate(catalog["streams"]):
        stream = entry.get("stream") if isinstance(entry, Mapping) else None
        name = stream.get("name") if isinstance(stream, Mapping) else None
        if not isinstance(stream, Mapping) or not isinstance(name, str) or not name:
            raise ConfigError(
                f"Configured catalog entry streams[{index}] must be an object with a 'stream' object that has a 'name'."
            )
        key: StreamKey = (stream.get("namespace"), name)
        definition = by_key.get(key)
        if definition is None:
            expected = ", ".join(sorted(_label(k) for k in by_key)) or "(none)"
            raise ConfigError(
                f"Unknown stream '{_label(key)}' in the configured catalog (expected one of: {expected})."
            )
        if key in seen:
            raise ConfigError(f"Stream '{_label(key)}' appears more than once in the configured catalog.")
        seen.add(key)
        sync_mode = entry.get("sync_mode")
        if sync_mode not in (FULL_REFRESH, INCREMENTAL):
            raise ConfigError(
                f"Unknown sync mode '{sync_mode}' for stream {_label(key)} (expected: {FULL_REFRESH}, {INCREMENTAL})."
            )
        if sync_mode not in definition.sync_modes:
            raise ConfigError(
                f"Stream '{_label(key)}' does not support sync mode '{sync_mode}' "
                f"(supported: {', '.join(definition.sync_modes)})."
            )
        destination_sync_mode = entry.get("destination_sync_mode") or "append"
        configured.append(ConfiguredStream(definition, sync_mode, str(destination_sync_mode)))
    return configured


def parse_state(state: Any) -> dict[StreamKey, dict[str, Any]]:
    """Per-stream states by stream.

    Accepts what Airbyte platforms send: a list of STREAM states (also wrapped as STATE messages, so the last
    STATE lines of one read can be fed to the next), a single such state, or the legacy object mapping stream
    names to states. GLOBAL states belong to CDC sources and are refused.
    """
    if state is None:
        return {}
    if isinstance(state, Mapping):
        if "type" in state or "stream" in state:
            entries: list[Any] = [state]
        else:
            return _legacy(state, where="the state")
    elif isinstance(state, list):
        entries = state
    else:
        raise ConfigError(f"The state is not valid: it is a JSON {type(state).__name__} ({_STATE_SHAPE}).")
    states: dict[StreamKey, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        for key, value in _entry(entry, index).items():
            if key in states:
                raise ConfigError(f"The state is not valid: stream '{_label(key)}' has more than one state.")
            states[key] = value
    return states


def _entry(entry: Any, index: int) -> dict[StreamKey, dict[str, Any]]:
    where = f"entry {index}"
    if isinstance(entry, Mapping) and entry.get("type") == "STATE" and "state" in entry:
        entry = entry["state"]
    if not isinstance(entry, Mapping):
        raise ConfigError(f"The state is not valid: {where} is not an object ({_STATE_SHAPE}).")
    kind = entry.get("type", "STREAM")
    if kind == "LEGACY":
        return _legacy(entry.get("data"), where=f"{where} (LEGACY) data")
    if kind == "GLOBAL":
        raise ConfigError(
            f"The state is not valid: {where} is a GLOBAL state, which this source does not use ({_STATE_SHAPE})."
        )
    if kind != "STREAM":
        raise ConfigError(f"The state is not valid: {where} has unknown type '{kind}' (expected: STREAM).")
    stream = entry.get("stream")
    descriptor = stream.get("stream_descriptor") if isinstance(stream, Mapping) else None
    name = descriptor.get("name") if isinstance(descriptor, Mapping) else None
    if not isinstance(descriptor, Mapping) or not isinstance(name, str) or not name:
        raise ConfigError(f"The state is not valid: {where} has no stream.stream_descriptor.name ({_STATE_SHAPE}).")
    key: StreamKey = (descriptor.get("namespace"), name)
    stream_state = stream.get("stream_state") if isinstance(stream, Mapping) else None
    if stream_state is None:
        return {}
    if not isinstance(stream_state, Mapping):
        raise ConfigError(f"The state is not valid: the stream_state of stream '{_label(key)}' is not an object.")
    return {key: dict(stream_state)}


def _legacy(data: Any, *, where: str) -> dict[StreamKey, dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"The state is not valid: {where} is not an object mapping stream names to states.")
    states: dict[StreamKey, dict[str, Any]] = {}
    for name, value in data.items():
        if not isinstance(value, Mapping):
            raise ConfigError(f"The state is not valid: the state of stream '{name}' in {where} is not an object.")
        states[(None, str(name))] = dict(value)
    return states
