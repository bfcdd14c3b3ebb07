"""A CDK source run through `CdkSourceCommands`: the catalog check before `read`, and LOG messages without
tracebacks unless debugging."""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from airbyte_cdk.models import (  # type: ignore[attr-defined]  # re-exported without __all__
    AirbyteCatalog,
    AirbyteStream,
    ConnectorSpecification,
    SyncMode,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from dockyard_runtime import protocol
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.cdk import CdkSourceCommands, check_catalog_streams

SPEC: dict[str, Any] = {"connectionSpecification": {"type": "object", "properties": {}}}


class Numbers(Stream):
    """Three records, then a warning logged with the exception that the CDK's retries give up on."""

    primary_key = "n"

    def get_json_schema(self) -> Mapping[str, Any]:  # type: ignore[override]  # the CDK caches it; no need here
        return {"type": "object", "properties": {"n": {"type": "integer"}}}

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        yield from ({"n": n} for n in range(3))
        try:
            raise ConnectionError("the API went away")
        except ConnectionError:
            logging.getLogger("airbyte").warning("Retries exhausted with backoff exception.", exc_info=True)


class Letters(Numbers):
    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        yield {"n": 0}


class Tiny(CdkSourceCommands, AbstractSource):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(connectionSpecification=SPEC["connectionSpecification"])

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [Numbers(), Letters()]


class DiscoverOnly(CdkSourceCommands):
    """A source that offers its streams only through `discover`, as a bare `airbyte_cdk.Source` does."""

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        stream = AirbyteStream(name="events", json_schema={}, supported_sync_modes=[SyncMode.full_refresh])
        return AirbyteCatalog(streams=[stream])


@pytest.fixture
def output() -> Iterator[io.BytesIO]:
    """Protocol output captured; the root logger's handlers (which `run_command` replaces) restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    previous = protocol.output()
    captured = io.BytesIO()
    protocol.set_output(captured)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        protocol.set_output(previous)
        root.handlers[:] = handlers
        root.setLevel(level)


def _messages(output: io.BytesIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in output.getvalue().splitlines() if line.strip()]


def _read(tmp_path: Path, streams: list[str], *, debug: bool = False) -> argparse.Namespace:
    config, catalog = tmp_path / "config.json", tmp_path / "catalog.json"
    config.write_text("{}")
    entries = [
        {
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh",
            "destination_sync_mode": "overwrite",
        }
        for name in streams
    ]
    catalog.write_text(json.dumps({"streams": entries}))
    return argparse.Namespace(command="read", config=str(config), catalog=str(catalog), state=None, debug=debug)


def test_a_catalog_naming_an_unknown_stream_fails_before_any_record(tmp_path: Path, output: io.BytesIO) -> None:
    with pytest.raises(ConfigError) as raised:
        Tiny().run_command(_read(tmp_path, ["numbers", "nope"]), {}, SPEC)
    assert str(raised.value) == "Unknown stream 'nope' in the configured catalog (expected one of: letters, numbers)."
    assert raised.value.failure_type == "config_error"
    assert not [m for m in _messages(output) if m["type"] == "RECORD"]


def test_a_catalog_of_known_streams_is_read(tmp_path: Path, output: io.BytesIO) -> None:
    Tiny().run_command(_read(tmp_path, ["numbers", "letters"]), {}, SPEC)
    records = [(m["record"]["stream"], m["record"]["data"]) for m in _messages(output) if m["type"] == "RECORD"]
    assert records == [("numbers", {"n": 0}), ("numbers", {"n": 1}), ("numbers", {"n": 2}), ("letters", {"n": 0})]


def test_log_messages_carry_no_traceback_without_debug(tmp_path: Path, output: io.BytesIO) -> None:
    Tiny().run_command(_read(tmp_path, ["numbers"]), {}, SPEC)
    logs = [m["log"] for m in _messages(output) if m["type"] == "LOG"]
    warning = [log for log in logs if log["message"].startswith("Retries exhausted")]
    assert warning == [{"level": "WARN", "message": "Retries exhausted with backoff exception."}]
    assert not [log for log in logs if "Traceback" in log["message"]]
    assert {m["type"] for m in _messages(output)} <= {"LOG", "TRACE", "RECORD", "STATE"}


def test_log_messages_carry_the_traceback_with_debug(tmp_path: Path, output: io.BytesIO) -> None:
    logging.getLogger().setLevel(logging.DEBUG)  # what the entrypoint does for --debug
    Tiny().run_command(_read(tmp_path, ["numbers"], debug=True), {}, SPEC)
    messages = _messages(output)
    warning = [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["level"] == "WARN"]
    assert len(warning) == 1
    assert "Traceback (most recent call last)" in warning[0]
    assert "ConnectionError: the API went away" in warning[0]
    assert {m["type"] for m in messages} <= {"LOG", "TRACE", "RECORD", "STATE"}, "the CDK's DEBUG lines are LOGs"


def test_stream_names_come_from_discover_when_the_source_has_no_streams_method() -> None:
    assert DiscoverOnly().offered_stream_names({}) == ["events"]


@pytest.mark.parametrize(
    ("catalog", "message"),
    [
        ([], "The configured catalog must be a JSON object with a 'streams' list."),
        ({"streams": {}}, "The configured catalog must be a JSON object with a 'streams' list."),
        (
            {"streams": [{"stream": {"name": "a"}}, {"stream": {}}]},
            "Configured catalog entry streams[1] must be an object with a 'stream' object that has a 'name'.",
        ),
        (
            {"streams": [{"stream": {"name": "b"}}]},
            "Unknown stream 'b' in the configured catalog (expected one of: a).",
        ),
    ],
)
def test_malformed_catalogs_are_config_errors(catalog: Any, message: str) -> None:
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        check_catalog_streams(catalog, ["a"])


def test_a_source_without_streams_accepts_no_stream() -> None:
    with pytest.raises(ConfigError, match=r"expected one of: \(none\)"):
        check_catalog_streams({"streams": [{"stream": {"name": "a"}}]}, [])
