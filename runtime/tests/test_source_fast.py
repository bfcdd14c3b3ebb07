"""The fast read path: record envelopes, checkpoints, stream statuses, check and discover."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
import pytest
from dockyard_runtime import protocol, secrets
from dockyard_runtime.errors import ConfigError, FatalError
from dockyard_runtime.source.capture import capture_read, configured_catalog, records_of, states_of
from dockyard_runtime.source.fast import (
    Checkpoint,
    ConfiguredStream,
    FastSource,
    ReadItem,
    RecordWriter,
    StreamDefinition,
)

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}


class Counter(FastSource):
    """Stream `numbers` yields batches with a checkpoint after each; `singles` yields records one by one."""

    def streams(self, config: Mapping[str, Any]) -> Sequence[StreamDefinition]:
        return [
            StreamDefinition("numbers", SCHEMA, primary_key=[["n"]], cursor_field=["n"]),
            StreamDefinition("singles", SCHEMA),
        ]

    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        start = int((state or {}).get("n", 0))
        total = int(config.get("total", 5))
        if stream.name == "singles":
            for n in range(start + 1, total + 1):
                yield {"n": n}
            return
        for first in range(start + 1, total + 1, 2):
            batch = [{"n": n} for n in range(first, min(first + 2, total + 1))]
            yield batch
            yield Checkpoint({"n": batch[-1]["n"]})


def _read(source: FastSource, config: Mapping[str, Any], catalog: Any, state: Any = None) -> list[dict[str, Any]]:
    return capture_read(source, config, catalog, state)


def test_batches_become_records_with_a_state_after_each_checkpoint() -> None:
    messages = _read(Counter(), {"total": 5}, configured_catalog(["numbers"]))
    assert records_of(messages) == [{"n": n} for n in range(1, 6)]
    assert [s["stream"]["stream_state"] for s in states_of(messages)] == [{"n": 2}, {"n": 4}, {"n": 5}]
    assert [s["sourceStats"]["recordCount"] for s in states_of(messages)] == [2.0, 2.0, 1.0]
    order = [m["type"] for m in messages if m["type"] in ("RECORD", "STATE")]
    assert order == ["RECORD", "RECORD", "STATE", "RECORD", "RECORD", "STATE", "RECORD", "STATE"]


def test_record_envelope_matches_the_protocol() -> None:
    messages = _read(Counter(), {"total": 1}, configured_catalog(["numbers"]))
    record = next(m for m in messages if m["type"] == "RECORD")
    assert set(record) == {"type", "record"}
    assert set(record["record"]) == {"stream", "emitted_at", "data"}
    assert record["record"]["stream"] == "numbers"
    assert isinstance(record["record"]["emitted_at"], int)


def test_stream_status_brackets_each_stream() -> None:
    messages = _read(Counter(), {"total": 1}, configured_catalog(["numbers", "singles"], sync_mode="full_refresh"))
    statuses = [
        (m["trace"]["stream_status"]["stream_descriptor"]["name"], m["trace"]["stream_status"]["status"])
        for m in messages
        if m["type"] == "TRACE"
    ]
    assert statuses == [
        ("numbers", "STARTED"),
        ("numbers", "RUNNING"),
        ("numbers", "COMPLETE"),
        ("singles", "STARTED"),
        ("singles", "RUNNING"),
        ("singles", "COMPLETE"),
    ]


def test_single_records_are_written_in_order() -> None:
    messages = _read(Counter(), {"total": 2500}, configured_catalog(["singles"], sync_mode="full_refresh"))
    assert [r["n"] for r in records_of(messages)] == list(range(1, 2501))


def test_incremental_read_gets_the_stream_state_and_full_refresh_does_not() -> None:
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "numbers"}, "stream_state": {"n": 3}}}]
    incremental = _read(Counter(), {"total": 5}, configured_catalog(["numbers"]), state)
    assert [r["n"] for r in records_of(incremental)] == [4, 5]
    full = _read(Counter(), {"total": 5}, configured_catalog(["numbers"], sync_mode="full_refresh"), state)
    assert [r["n"] for r in records_of(full)] == [1, 2, 3, 4, 5]


def test_incremental_on_a_stream_without_cursor_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"Stream 'singles' does not support sync mode 'incremental' \(supported"):
        _read(Counter(), {}, configured_catalog(["singles"]))


def test_nothing_is_written_when_the_catalog_is_invalid(protocol_out: io.BytesIO) -> None:
    with pytest.raises(ConfigError):
        Counter().read({}, configured_catalog(["numbers", "nope"]), None)
    assert protocol_out.getvalue() == b""


class Failing(Counter):
    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        yield [{"n": 1}]
        yield Checkpoint({"n": 1})
        raise RuntimeError("boom")


def test_a_failing_stream_keeps_its_output_and_is_marked_incomplete(protocol_out: io.BytesIO) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        Failing().read({}, configured_catalog(["numbers"]), None)
    messages = [orjson.loads(line) for line in protocol_out.getvalue().splitlines()]
    assert records_of(messages) == [{"n": 1}]
    assert len(states_of(messages)) == 1
    assert messages[-1]["trace"]["stream_status"]["status"] == "INCOMPLETE"


def _decimal_as_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


class Decimals(Counter):
    json_default = _decimal_as_text  # a plain function: must not be bound as a method

    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        yield [{"n": Decimal("1.50")}]


def test_json_default_serializes_what_orjson_cannot() -> None:
    assert records_of(_read(Decimals(), {}, configured_catalog(["numbers"]))) == [{"n": "1.50"}]


def test_unserializable_record_is_a_fatal_error_naming_the_stream() -> None:
    writer = RecordWriter(io.BytesIO())
    with pytest.raises(FatalError, match="stream 'numbers' cannot be serialized"):
        writer.write_records(StreamDefinition("numbers", SCHEMA), [{"n": Decimal(1)}])


def test_writer_chunks_output_and_flushes_the_rest() -> None:
    out = io.BytesIO()
    writer = RecordWriter(out, chunk_bytes=300)
    definition = StreamDefinition("numbers", SCHEMA, namespace="ns")
    writer.write_records(definition, [{"n": 1}])
    assert out.getvalue() == b""  # below the chunk size: held back
    writer.write_records(definition, [{"n": n} for n in range(10)])
    assert out.getvalue().count(b"\n") == 11
    writer.write_state(definition, {"n": 9}, 11)
    writer.flush()
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["record"]["namespace"] == "ns"
    assert lines[-1]["state"]["stream"]["stream_descriptor"] == {"name": "numbers", "namespace": "ns"}


def test_records_and_states_are_data_never_rewritten_by_masking() -> None:
    # A cursor that happens to equal a short secret ("12") must survive: masking a state would corrupt it and
    # the next sync would resume from the wrong place. Masking is for logs, errors and traces.
    secrets.register(["12"])
    try:
        out = io.BytesIO()
        writer = RecordWriter(out)
        definition = StreamDefinition("numbers", SCHEMA)
        writer.write_records(definition, [{"n": "12"}])
        writer.write_state(definition, {"cursor": "12"}, 1)
        writer.flush()
        record, state = out.getvalue().splitlines()
        assert b'"12"' in record
        assert orjson.loads(state)["state"]["stream"]["stream_state"] == {"cursor": "12"}
        assert b"12" not in protocol.dumps({"type": "LOG", "log": {"level": "INFO", "message": "pw=12"}})
    finally:
        secrets.reset()


def _command(command: str, **extra: Any) -> argparse.Namespace:
    return argparse.Namespace(command=command, **extra)


def _run(source: FastSource, args: argparse.Namespace, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = io.BytesIO()
    previous = protocol.output()
    protocol.set_output(out)
    try:
        source.run_command(args, config, {})
    finally:
        protocol.set_output(previous)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_discover_describes_cursor_and_primary_key() -> None:
    (message,) = _run(Counter(), _command("discover"), {})
    numbers, singles = message["catalog"]["streams"]
    assert numbers == {
        "name": "numbers",
        "json_schema": SCHEMA,
        "supported_sync_modes": ["full_refresh", "incremental"],
        "is_resumable": True,
        "source_defined_cursor": True,
        "default_cursor_field": ["n"],
        "source_defined_primary_key": [["n"]],
    }
    assert singles["supported_sync_modes"] == ["full_refresh"]
    assert "default_cursor_field" not in singles


class Unreachable(Counter):
    def check_connection(self, config: Mapping[str, Any]) -> None:
        raise ConfigError("The host cannot be reached.", context={"host": "db"})


def test_check_turns_a_dockyard_error_into_a_failed_status() -> None:
    assert _run(Counter(), _command("check"), {}) == [
        {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}
    ]
    assert _run(Unreachable(), _command("check"), {}) == [
        {
            "type": "CONNECTION_STATUS",
            "connectionStatus": {"status": "FAILED", "message": "The host cannot be reached. (host=db)"},
        }
    ]


def test_read_command_reads_catalog_and_state_files(tmp_path: Any) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(configured_catalog(["numbers"])))
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"numbers": {"n": 4}}))
    messages = _run(Counter(), _command("read", catalog=str(catalog), state=str(state)), {"total": 5})
    assert records_of(messages) == [{"n": 5}]
