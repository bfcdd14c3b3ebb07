"""BatchExportLoader under the real write loop: exports at commit, states only after, nothing lost or repeated."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest
from dockyard_runtime.destination import export
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey, parse_catalog
from dockyard_runtime.destination.export import BatchExportLoader
from dockyard_runtime.destination.loader import Record
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.errors import ConfigError

CATALOG = {
    "streams": [
        {"stream": {"name": "users", "json_schema": {}}, "destination_sync_mode": "append"},
        {"stream": {"name": "events", "json_schema": {}}, "destination_sync_mode": "overwrite"},
    ]
}


class MemoryExport(BatchExportLoader):
    """Keeps what was exported, and the order of every call, to check the loop's contract."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__()
        self.exported: dict[str, list[Record]] = {}
        self.calls: list[str] = []
        self.fail_on = fail_on

    def prepare(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        self.calls.append("prepare:" + ",".join(sorted(s.name for s in streams.values())))

    def export_batch(self, stream: StreamConfig, records: Iterator[Record]) -> None:
        batch = list(records)
        self.calls.append(f"export:{stream.name}:{len(batch)}")
        if stream.name == self.fail_on:
            raise OSError("disk full")
        self.exported.setdefault(stream.name, []).extend(batch)

    def finish(self) -> None:
        self.calls.append("finish")

    def close(self) -> None:
        self.calls.append("close")
        super().close()


def record(stream: str, n: int, **extra: Any) -> bytes:
    data = {"id": n, **extra}
    return json.dumps({"type": "RECORD", "record": {"stream": stream, "emitted_at": 1000 + n, "data": data}}).encode()


def state(n: int) -> bytes:
    return json.dumps({"type": "STATE", "state": {"type": "LEGACY", "data": {"n": n}}}).encode()


def run(loader: MemoryExport, lines: list[bytes], settings: WriteSettings | None = None) -> list[dict[str, Any]]:
    out = io.BytesIO()
    WriteLoop(loader, parse_catalog(CATALOG), out, settings).run(lines)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_records_are_exported_at_commit_in_order_and_states_follow() -> None:
    loader = MemoryExport()
    lines = [record("users", 1), record("events", 1), record("users", 2), state(1), record("users", 3), state(2)]
    echoed = run(loader, lines, WriteSettings(commit_records=1))
    assert [r[0]["id"] for r in loader.exported["users"]] == [1, 2, 3]
    assert loader.exported["events"] == [({"id": 1}, 1001, None)]
    assert [s["state"]["data"]["n"] for s in echoed] == [1, 2]
    assert loader.calls == [
        "prepare:events,users",
        "export:users:2",
        "export:events:1",
        "export:users:1",
        "finish",
        "close",
    ]


def test_a_failed_export_echoes_no_state_and_closes_the_loader() -> None:
    loader = MemoryExport(fail_on="events")
    out = io.BytesIO()
    with pytest.raises(OSError, match="disk full"):
        WriteLoop(loader, parse_catalog(CATALOG), out).run([record("events", 1), state(1)])
    assert out.getvalue() == b""
    assert loader.calls[-1] == "close"


def test_exact_numbers_and_changes_survive_the_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "SPOOL_IN_MEMORY", 64)  # force the spool onto disk
    loader = MemoryExport()
    big = b'{"type":"RECORD","record":{"stream":"users","emitted_at":5,"data":{"v":12345678901234567890.123456789},'
    big += b'"meta":{"changes":[{"field":"x","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}]}}}'
    run(loader, [big, *[record("users", n, pad="x" * 50) for n in range(200)]])
    first = loader.exported["users"][0]
    assert first[0] == {"v": Decimal("12345678901234567890.123456789")}
    assert first[2] == [{"field": "x", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]
    assert len(loader.exported["users"]) == 201


def test_discard_staged_drops_records_not_yet_committed() -> None:
    loader = MemoryExport()
    streams = parse_catalog(CATALOG)
    loader.open(streams)
    users = streams[(None, "users")]
    loader.stage(users, [({"id": 1}, 1, None)])
    loader.commit([])
    loader.stage(users, [({"id": 2}, 2, None), ({"id": 3}, 3, None)])
    assert loader.staged_records == 2
    loader.discard_staged()
    loader.commit([])
    assert [r[0]["id"] for r in loader.exported["users"]] == [1]
    assert not loader.is_committed({"type": "LEGACY", "data": {}})
    loader.close()


def test_discard_can_target_streams_and_uncovered_records_are_exported_too() -> None:
    loader = MemoryExport()
    streams = parse_catalog(CATALOG)
    users, events = streams[(None, "users")], streams[(None, "events")]
    loader.open(streams)
    loader.stage(users, [({"id": 1}, 1, None)])
    loader.stage(events, [({"id": 9}, 9, None)])
    loader.discard_staged([events.key])
    loader.stage(users, [({"id": 2}, 2, None)])
    loader.commit([], {users.key: 1})  # no ledger, so holding records back would not make replays exact
    assert [r[0]["id"] for r in loader.exported["users"]] == [1, 2]
    assert "events" not in loader.exported and loader.staged_records == 0
    loader.close()


def test_prepare_can_refuse_a_sync_mode_before_any_record() -> None:
    class AppendOnly(MemoryExport):
        def prepare(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
            for stream in streams.values():
                if stream.sync_mode != "append":
                    raise ConfigError(f"Stream {stream.name} uses {stream.sync_mode} (expected: append).")

    loader = AppendOnly()
    with pytest.raises(ConfigError, match="events uses overwrite"):
        run(loader, [record("users", 1)])
    assert loader.exported == {}
