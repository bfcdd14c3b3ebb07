"""Configured catalog parsing: what a destination learns per stream, and errors that say how to fix them."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard_runtime.destination.catalog import StreamConfig, parse_catalog
from dockyard_runtime.errors import ConfigError


def entry(name: str = "users", **overrides: Any) -> dict[str, Any]:
    stream = {"name": name, "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}
    stream.update(overrides.pop("stream", {}))
    return {"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append", **overrides}


def one(**overrides: Any) -> StreamConfig:
    (config,) = parse_catalog({"streams": [entry(**overrides)]}).values()
    return config


def error_for(catalog: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_catalog(catalog)
    assert caught.value.failure_type == "config_error"
    return caught.value.render()


def test_keys_are_namespace_and_name() -> None:
    streams = parse_catalog(
        {"streams": [entry("a"), entry("a", stream={"namespace": "ns"}), entry("b", stream={"namespace": ""})]}
    )
    assert list(streams) == [(None, "a"), ("ns", "a"), (None, "b")]
    assert streams[("ns", "a")].label == "ns.a"
    assert streams[(None, "a")].label == "a"


def test_defaults() -> None:
    config = parse_catalog({"streams": [{"stream": {"name": "s"}}]})[(None, "s")]
    assert config.sync_mode == "append"
    assert config.json_schema == {}
    assert config.primary_key == ()
    assert config.cursor_field == ()
    assert (config.generation_id, config.minimum_generation_id, config.sync_id) == (0, 0, None)
    assert config.truncates is False


def test_primary_key_and_cursor_from_the_configured_entry_win() -> None:
    config = one(
        destination_sync_mode="append_dedup",
        primary_key=[["id"], ["org", "id"]],
        cursor_field=["updated_at"],
        stream={"source_defined_primary_key": [["other"]], "default_cursor_field": ["created_at"]},
    )
    assert config.primary_key == (("id",), ("org", "id"))
    assert config.cursor_field == ("updated_at",)


def test_primary_key_and_cursor_fall_back_to_the_source_defaults() -> None:
    config = one(
        destination_sync_mode="append_dedup",
        stream={"source_defined_primary_key": [["id"]], "default_cursor_field": ["created_at"]},
    )
    assert config.primary_key == (("id",),)
    assert config.cursor_field == ("created_at",)


def test_primary_key_given_as_plain_strings() -> None:
    assert one(primary_key=["id", "org"]).primary_key == (("id",), ("org",))
    assert one(primary_key="id").primary_key == (("id",),)


def test_generations_and_sync_id() -> None:
    config = one(generation_id=4, minimum_generation_id=2, sync_id=77)
    assert (config.generation_id, config.minimum_generation_id, config.sync_id) == (4, 2, 77)


@pytest.mark.parametrize(
    ("mode", "generation", "minimum", "truncates"),
    [
        ("overwrite", 0, 0, True),
        ("append", 3, 3, True),  # a truncate refresh
        ("append_dedup", 1, 1, True),
        ("append", 3, 0, False),
        ("append", 3, 2, False),  # keeps generation 2 and newer: cleanup, not truncation
        ("append", 0, 0, False),
    ],
)
def test_truncates(mode: str, generation: int, minimum: int, truncates: bool) -> None:
    config = one(
        destination_sync_mode=mode, primary_key=[["id"]], generation_id=generation, minimum_generation_id=minimum
    )
    assert config.truncates is truncates


def test_unknown_sync_mode_lists_the_valid_ones() -> None:
    message = error_for({"streams": [entry(destination_sync_mode="merge")]})
    assert message == "Unknown sync mode 'merge' for stream users (expected: append, overwrite, append_dedup)."


def test_dedup_needs_a_primary_key() -> None:
    message = error_for({"streams": [entry(destination_sync_mode="append_dedup")]})
    assert message == "Stream users uses append_dedup but has no primary key."


def test_duplicate_stream() -> None:
    message = error_for({"streams": [entry(stream={"namespace": "n"}), entry(stream={"namespace": "n"})]})
    assert message == "Stream n.users appears twice in the configured catalog."


@pytest.mark.parametrize("catalog", [[], {"streams": {}}, {"nope": []}, None])
def test_catalog_must_have_a_streams_list(catalog: Any) -> None:
    assert error_for(catalog) == "The configured catalog must be a JSON object with a 'streams' list."


@pytest.mark.parametrize("bad", [{"stream": {}}, {"stream": "users"}, "users", {"stream": {"name": ""}}])
def test_entry_without_a_name(bad: Any) -> None:
    assert error_for({"streams": [entry("ok"), bad]}) == "Catalog entry 1 has no stream name."


def test_non_numeric_generation_is_a_config_error() -> None:
    message = error_for({"streams": [entry(generation_id="latest")]})
    assert message.startswith("Stream users has an invalid generation_id 'latest'")
