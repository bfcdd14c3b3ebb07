"""The destination write loop against a recording Loader: order of stage/commit/echo, counts, batching, replay.

The fake loader and the output share one event log, so a test sees exactly where each state was echoed relative
to the commits, and which records each commit covered.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

import orjson
import pytest
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey, parse_catalog
from dockyard_runtime.destination.input import parse_line
from dockyard_runtime.destination.loader import Job, Record
from dockyard_runtime.destination.settings import MiB, WriteSettings
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.sql.loader import state_hash

Event = tuple[Any, ...]


class FakeLoader:
    """A Loader that records every call; committed record ids are what `commit` made visible.

    Like the SQL loader, it does its bookkeeping in the call and returns a job for the visible effect (the
    event), which the write loop runs on its background thread, in call order.
    """

    def __init__(self, events: list[Event], committed_states: Iterable[Mapping[str, Any]] = ()) -> None:
        self.events = events
        self.staged: list[tuple[str, Any]] = []
        self.committed: list[tuple[str, Any]] = []
        self.previous = {state_hash(s) for s in committed_states}
        self.fail_on_stage: int | None = None
        self.stage_calls = 0
        self.closed = False

    def open(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        self.labels = {key: s.label for key, s in streams.items()}
        self.events.append(("open", sorted(s.label for s in streams.values())))

    def stage(self, stream: StreamConfig, records: list[Record]) -> Job:
        self.stage_calls += 1
        failing = self.fail_on_stage == self.stage_calls
        assert records, "the write loop never stages an empty batch"
        self.staged.extend((stream.label, data.get("id")) for data, _, _ in records)
        event = ("stage", stream.label, len(records))

        def job() -> None:
            if failing:
                raise RuntimeError("disk full")
            self.events.append(event)

        return job

    def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> Job:
        """Commit what is staged except, per stream, the `uncovered` most recent records."""
        held: list[tuple[str, Any]] = []
        for key, count in (uncovered or {}).items():
            of_stream = [r for r in self.staged if r[0] == self.labels[key]]
            held += of_stream[len(of_stream) - count :]
        self.committed.extend(r for r in self.staged if r not in held)
        self.staged = [r for r in self.staged if r in held]
        ids = [s["state"].get("id") for s in states]
        return partial(self.events.append, ("commit", ids, dict(uncovered or {}), list(self.committed)))

    def is_committed(self, state: Mapping[str, Any]) -> bool:
        return state_hash(state) in self.previous

    def discard_staged(self, streams: Iterable[StreamKey] | None = None) -> Job:
        labels = {self.labels[k] for k in (self.labels if streams is None else streams)}
        dropped = [r for r in self.staged if r[0] in labels]
        self.staged = [r for r in self.staged if r[0] not in labels]
        return partial(self.events.append, ("discard", len(dropped)))

    def finish(self) -> Job:
        return partial(self.events.append, ("finish",))

    def close(self) -> None:
        self.closed = True
        self.events.append(("close",))


class EventOut(io.BytesIO):
    """Protocol output that logs each echoed state (by its `id`) into the shared event list."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events

    def write(self, data: Any) -> int:
        for line in bytes(data).splitlines():
            message = orjson.loads(line)
            self.events.append(("echo", message["state"].get("id")))
        return super().write(data)

    def messages(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.getvalue().splitlines()]


CATALOG = {
    "streams": [
        {"stream": {"name": "users", "json_schema": {}}, "destination_sync_mode": "append"},
        {"stream": {"name": "orders", "namespace": "shop", "json_schema": {}}, "destination_sync_mode": "append"},
    ]
}


def rec(stream: str, rid: Any, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"stream": stream, "emitted_at": 1_700_000_000_000, "data": {"id": rid}, **extra}
    if namespace is not None:
        record["namespace"] = namespace
    return {"type": "RECORD", "record": record}


def stream_state(stream: str, sid: int, namespace: str | None = None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {"type": "STATE", "state": {"type": "STREAM", "id": sid, "stream": {"stream_descriptor": descriptor}}}


def global_state(sid: int) -> dict[str, Any]:
    return {"type": "STATE", "state": {"type": "GLOBAL", "id": sid, "global": {"shared_state": {"lsn": sid}}}}


def legacy_state(sid: int) -> dict[str, Any]:
    return {"type": "STATE", "state": {"id": sid, "data": {"cursor": sid}}}


def lines(*messages: Any) -> list[bytes]:
    return [m if isinstance(m, bytes) else orjson.dumps(m) for m in messages]


class Run:
    def __init__(self, loader: FakeLoader, out: EventOut, committed: int) -> None:
        self.loader = loader
        self.out = out
        self.committed = committed
        self.events = loader.events

    def echoed(self) -> list[dict[str, Any]]:
        return self.out.messages()

    def counts(self) -> dict[int, float]:
        return {m["state"]["id"]: m["state"]["destinationStats"]["recordCount"] for m in self.echoed()}

    def calls(self, kind: str) -> list[Event]:
        return [e for e in self.events if e[0] == kind]


def run(
    *messages: Any,
    settings: WriteSettings | None = None,
    committed_states: Iterable[Mapping[str, Any]] = (),
    catalog: Mapping[str, Any] = CATALOG,
) -> Run:
    events: list[Event] = []
    loader = FakeLoader(events, committed_states)
    out = EventOut(events)
    committed = WriteLoop(loader, parse_catalog(catalog), out, settings).run(lines(*messages))
    return Run(loader, out, committed)


def assert_states_follow_their_records(messages: list[Any], result: Run) -> None:
    """Every echoed state comes after a commit that made the records it covers visible: for a STREAM state, its
    stream's records received before it; for GLOBAL and legacy states, every record received before it."""
    received: list[tuple[str, Any]] = []
    before_state: dict[Any, list[tuple[str, Any]]] = {}
    for m in messages:
        if isinstance(m, dict) and m.get("type") == "RECORD":
            r = m["record"]
            label = f"{r['namespace']}.{r['stream']}" if r.get("namespace") else r["stream"]
            received.append((label, r["data"]["id"]))
        elif isinstance(m, dict) and m.get("type") == "STATE":
            covered = list(received)
            if m["state"].get("type") == "STREAM":
                descriptor = m["state"]["stream"]["stream_descriptor"]
                name = descriptor["name"]
                label = f"{descriptor['namespace']}.{name}" if descriptor.get("namespace") else name
                covered = [r for r in received if r[0] == label]
            before_state[m["state"]["id"]] = covered
    visible: set[tuple[str, Any]] = set()
    for event in result.events:
        if event[0] == "commit":
            visible = set(event[3])
        elif event[0] == "echo":
            missing = set(before_state[event[1]]) - visible
            assert not missing, f"state {event[1]} echoed before {missing} were committed"


# -- order and counts ------------------------------------------------------------------------------------------


def test_states_echoed_in_received_order_only_after_their_commit() -> None:
    messages = [
        rec("users", 1),
        rec("orders", 10, "shop"),
        stream_state("users", 1),
        rec("users", 2),
        rec("users", 3),
        stream_state("orders", 2, "shop"),
        global_state(3),
        rec("orders", 11, "shop"),
        legacy_state(4),
        rec("users", 4),
        stream_state("users", 5),
    ]
    result = run(*messages, settings=WriteSettings(commit_records=2, batch_records=2))
    assert [m["state"]["id"] for m in result.echoed()] == [1, 2, 3, 4, 5]
    assert_states_follow_their_records(messages, result)
    assert result.committed == 6
    assert result.events[0] == ("open", ["shop.orders", "users"])
    assert result.events[-2:] == [("finish",), ("close",)]
    for echo_index, event in enumerate(result.events):
        if event[0] == "echo":
            assert any(e[0] == "commit" for e in result.events[:echo_index])


def test_record_counts_per_state_kind() -> None:
    result = run(
        rec("users", 1),
        rec("orders", 10, "shop"),
        rec("users", 2),
        stream_state("users", 1),
        rec("orders", 11, "shop"),
        stream_state("orders", 2, "shop"),
        stream_state("users", 3),
        rec("users", 3),
        rec("orders", 12, "shop"),
        global_state(4),
        rec("users", 4),
        legacy_state(5),
        legacy_state(6),
    )
    assert result.counts() == {1: 2.0, 2: 2.0, 3: 0.0, 4: 2.0, 5: 1.0, 6: 0.0}


def test_echoed_state_keeps_unknown_fields_byte_for_byte_apart_from_stats() -> None:
    state = {
        "type": "STATE",
        "future": {"x": [1, 2]},
        "state": {
            "type": "STREAM",
            "id": 1,
            "stream": {"stream_descriptor": {"name": "users"}, "stream_state": {"cursor": "2024-01-01", "n": 1.5}},
            "sourceStats": {"recordCount": 1.0},
            "unknown": None,
        },
    }
    result = run(rec("users", 1), state)
    (echoed,) = result.echoed()
    expected = orjson.loads(orjson.dumps(state))
    expected["state"]["destinationStats"] = {"recordCount": 1.0}
    assert echoed == expected


def test_namespace_given_on_one_side_only_still_routes_records_and_counts() -> None:
    catalog = {
        "streams": [
            {"stream": {"name": "users", "json_schema": {}}},
            {"stream": {"name": "orders", "namespace": "shop", "json_schema": {}}},
        ]
    }
    result = run(
        rec("users", 1, namespace="public"),
        rec("orders", 10),
        stream_state("users", 1, namespace="public"),
        stream_state("orders", 2),
        catalog=catalog,
    )
    assert result.loader.committed == [("users", 1), ("shop.orders", 10)]
    assert result.counts() == {1: 1.0, 2: 1.0}


# -- bad input -------------------------------------------------------------------------------------------------


def test_malformed_lines_are_warned_with_line_numbers_and_skipped(
    protocol_out: Any, caplog: pytest.LogCaptureFixture
) -> None:
    result = run(
        rec("users", 1),
        b"{not json",
        b"[1, 2]",
        b"",
        b"   ",
        {"type": "RECORD", "record": {"stream": "users", "data": "text"}},
        {"type": "RECORD", "record": {"stream": "users", "emitted_at": "yesterday", "data": {"id": 9}}},
        {"type": "RECORD"},
        rec("users", 2),
        stream_state("users", 1),
    )
    assert result.loader.committed == [("users", 1), ("users", 2)]
    assert result.counts() == {1: 2.0}
    warnings = protocol_out.logs("WARN")
    assert [w.split(":")[0] for w in warnings[:5]] == [f"Skipping malformed input line {n}" for n in (2, 3, 6, 7, 8)]
    assert "not valid JSON" in warnings[0]
    assert "not a JSON object" in warnings[1]
    assert "without a 'data' object" in warnings[2]
    assert "emitted_at is not a number" in warnings[3]
    assert warnings[-1] == "Skipped 5 malformed input line(s)."


def test_unknown_streams_are_warned_once_per_stream(protocol_out: Any) -> None:
    result = run(rec("ghosts", 1), rec("ghosts", 2), rec("users", 3), rec("orders", 4, "elsewhere"), rec("ghosts", 5))
    assert result.loader.committed == [("users", 3)]
    warnings = protocol_out.logs("WARN")
    assert warnings == [
        "Ignoring records of stream 'ghosts' (first at line 1): it is not in the configured catalog.",
        "Ignoring records of stream 'elsewhere.orders' (first at line 4): it is not in the configured catalog.",
    ]


def test_log_trace_and_other_messages_are_ignored(protocol_out: Any) -> None:
    result = run(
        {"type": "LOG", "log": {"level": "INFO", "message": "hello"}},
        {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "upstream failed"}}},
        {"type": "CONTROL", "control": {}},
        rec("users", 1),
        stream_state("users", 1),
    )
    assert result.echoed()[0]["state"]["id"] == 1
    assert len(result.echoed()) == 1
    assert protocol_out.logs("WARN") == []


def test_exact_numbers_reach_the_loader_exactly() -> None:
    line = (
        b'{"a": 0.1, "b": 12345678901234567890123, "c": 1.000000000000000000001, "d": 1e400, "e": -9223372036854775809}'
    )
    parsed = parse_line(line)
    assert parsed["a"] == Decimal("0.1") and type(parsed["a"]) is Decimal
    assert parsed["b"] == 12345678901234567890123
    assert parsed["c"] == Decimal("1.000000000000000000001")
    assert parsed["d"] == Decimal("1e400")
    assert parsed["e"] == -9223372036854775809
    plain = parse_line(b'{"a": 0.5, "b": 42, "s": "x"}')
    assert plain == {"a": 0.5, "b": 42, "s": "x"}
    assert parse_line(b'{"a": 1e400}') == {"a": Decimal("1e400")}


@pytest.mark.parametrize("bad", [b"{", b"NaN", b'{"a": NaN}', b'{"a": Infinity, "b": 12345678901234567890}', b"\xff"])
def test_parse_line_rejects_what_is_not_json(bad: bytes) -> None:
    with pytest.raises(ValueError):
        parse_line(bad)


# -- batching and commits --------------------------------------------------------------------------------------


@pytest.fixture
def buffered_at_flush(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(buffered records, buffered bytes) each time the write loop hands its buffers to the loader."""
    seen: list[tuple[int, int]] = []
    original = WriteLoop._stage_all

    def spy(self: WriteLoop) -> None:
        seen.append((self.buffered_records, self.buffered_bytes))
        original(self)

    monkeypatch.setattr(WriteLoop, "_stage_all", spy)
    return seen


def test_flush_by_record_count_never_exceeds_the_threshold(buffered_at_flush: list[tuple[int, int]]) -> None:
    messages = [rec("users" if i % 3 else "orders", i, None if i % 3 else "shop") for i in range(50)]
    result = run(*messages, settings=WriteSettings(batch_records=7))
    assert sum(e[2] for e in result.calls("stage")) == 50
    assert [n for n, _ in buffered_at_flush] == [7] * 7 + [1]
    assert len(result.calls("commit")) == 1  # no state: one commit at the end


def test_flush_by_bytes_bounds_buffered_input(buffered_at_flush: list[tuple[int, int]]) -> None:
    messages = [rec("users", i, pad="x" * 200) for i in range(100)]
    line_size = max(len(line) for line in lines(*messages))
    result = run(*messages, settings=WriteSettings(batch_bytes=2000, batch_records=10**9))
    assert len(buffered_at_flush) >= 10
    assert max(b for _, b in buffered_at_flush) < 2000 + line_size
    assert sum(n for n, _ in buffered_at_flush) == 100 == result.committed


def test_settings_from_config() -> None:
    settings = WriteSettings.from_config({"batch_size_mb": 2, "batch_size_records": 10, "commit_every_records": 5})
    assert settings == WriteSettings(batch_bytes=2 * MiB, batch_records=10, commit_records=5, commit_seconds=30.0)
    assert WriteSettings.from_config({}) == WriteSettings()


def test_commit_policy_by_record_count() -> None:
    messages: list[Any] = []
    for i in range(10):
        messages += [rec("users", 2 * i), rec("users", 2 * i + 1), stream_state("users", i)]
    result = run(*messages, settings=WriteSettings(commit_records=5))
    assert [e[1] for e in result.calls("commit")] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert_states_follow_their_records(messages, result)


def test_state_with_nothing_pending_is_echoed_at_once() -> None:
    result = run(stream_state("users", 1), stream_state("users", 2), settings=WriteSettings(commit_records=100))
    assert [e[0] for e in result.events] == ["open", "commit", "echo", "commit", "echo", "commit", "finish", "close"]


def test_commit_policy_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("dockyard_runtime.destination.write.time.monotonic", lambda: clock[0])
    messages: list[Any] = []
    for i in range(6):
        messages += [rec("users", i), stream_state("users", i)]
    calls = iter([0.0, 0.0, 10.0, 31.0, 32.0, 40.0, 62.0, 70.0, 80.0, 90.0, 100.0])

    class Timed(list[bytes]):
        def __iter__(self) -> Any:
            for line in super().__iter__():
                if b'"STATE"' in line:
                    clock[0] = 1000.0 + next(calls)
                yield line

    events: list[Event] = []
    loader = FakeLoader(events)
    WriteLoop(loader, parse_catalog(CATALOG), EventOut(events), WriteSettings(commit_seconds=30)).run(
        Timed(lines(*messages))
    )
    assert [e[1] for e in events if e[0] == "commit"] == [[0, 1, 2, 3], [4, 5]]


def test_end_of_input_commits_records_after_the_last_state_then_finishes() -> None:
    result = run(rec("users", 1), stream_state("users", 1), rec("users", 2), settings=WriteSettings(commit_records=1))
    assert result.committed == 2
    assert result.loader.committed == [("users", 1), ("users", 2)]
    kinds = [e[0] for e in result.events]
    assert kinds[-3:] == ["commit", "finish", "close"]


def test_loader_failure_closes_without_finishing_or_echoing_uncommitted_states() -> None:
    events: list[Event] = []
    loader = FakeLoader(events)
    loader.fail_on_stage = 2
    out = EventOut(events)
    messages = [rec("users", 1), stream_state("users", 1), rec("users", 2), stream_state("users", 2)]
    with pytest.raises(RuntimeError, match="disk full"):
        WriteLoop(loader, parse_catalog(CATALOG), out, WriteSettings(commit_records=1)).run(lines(*messages))
    assert [e[1] for e in events if e[0] == "echo"] == [1]
    assert ("finish",) not in events
    assert loader.closed


def test_open_failure_still_closes() -> None:
    events: list[Event] = []
    loader = FakeLoader(events)

    def broken(streams: Any) -> None:
        raise RuntimeError("cannot connect")

    loader.open = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        WriteLoop(loader, parse_catalog(CATALOG), EventOut(events)).run([])
    assert loader.closed


# -- replay of an already-committed prefix ---------------------------------------------------------------------


def test_records_covered_by_an_already_committed_state_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    first = stream_state("users", 1)
    messages = [rec("users", 1), rec("users", 2), first, rec("users", 3), stream_state("users", 2)]
    committed_before = orjson.loads(orjson.dumps(first))["state"]
    with caplog.at_level(logging.INFO, logger="dockyard"):
        result = run(*messages, committed_states=[committed_before], settings=WriteSettings(commit_records=10))
    assert result.loader.committed == [("users", 3)]
    assert result.committed == 1
    assert [m["state"]["id"] for m in result.echoed()] == [1, 2]
    assert result.counts() == {1: 2.0, 2: 1.0}
    assert "dropped 2 re-sent record(s)" in caplog.text


def test_replay_drops_staged_records_too() -> None:
    first = stream_state("users", 1)
    messages = [rec("users", i) for i in range(5)] + [first, rec("users", 99)]
    result = run(
        *messages, committed_states=[dict(first["state"])], settings=WriteSettings(batch_records=2, commit_records=100)
    )
    assert ("discard", 4) in result.events
    assert result.loader.committed == [("users", 99)]


def test_stats_are_not_part_of_a_states_identity() -> None:
    state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"}}}
    with_stats = {**state, "destinationStats": {"recordCount": 3.0}, "sourceStats": {"recordCount": 3.0}}
    assert state_hash(state) == state_hash(with_stats)
    assert state_hash(state) != state_hash({**state, "type": "GLOBAL"})


def test_replay_drops_only_the_stream_its_state_covers() -> None:
    users_state = stream_state("users", 1)
    result = run(
        rec("users", 1),
        rec("orders", 10, "shop"),
        users_state,
        rec("users", 2),
        stream_state("orders", 2, "shop"),
        committed_states=[dict(users_state["state"])],
    )
    assert sorted(result.loader.committed) == [("shop.orders", 10), ("users", 2)]
    assert result.counts() == {1: 1.0, 2: 1.0}


def test_a_state_repeated_after_the_replay_ended_does_not_drop_records() -> None:
    replayed = stream_state("users", 1)
    again = stream_state("users", 1)  # same content, later in the sync (a cursor that did not move)
    result = run(
        rec("users", 1),
        replayed,
        rec("users", 2),
        stream_state("users", 2),
        rec("users", 3),
        again,
        committed_states=[dict(replayed["state"])],
    )
    assert result.loader.committed == [("users", 2), ("users", 3)]
    assert [m["state"]["id"] for m in result.echoed()] == [1, 2, 1]


def test_records_after_their_streams_last_state_wait_for_a_later_commit() -> None:
    messages = [
        rec("users", 1),
        stream_state("users", 1),
        rec("users", 2),
        rec("orders", 10, "shop"),
        stream_state("orders", 2, "shop"),
        rec("users", 3),
        stream_state("users", 3),
    ]
    result = run(*messages, settings=WriteSettings(commit_records=1))
    commits = result.calls("commit")
    assert [c[1] for c in commits] == [[1], [2], [3], []]
    assert commits[1][2] == {(None, "users"): 1}, "users 2 is not covered by any state yet"
    assert ("users", 2) not in commits[1][3]
    assert set(commits[2][3]) == {("users", 1), ("users", 2), ("shop.orders", 10), ("users", 3)}
    assert_states_follow_their_records(messages, result)
    assert result.committed == 4


def test_the_cyclic_collector_is_paused_during_the_loop_and_restored_even_on_failure() -> None:
    import gc

    seen: list[bool] = []

    class Spy(FakeLoader):
        def stage(self, stream: StreamConfig, records: list[Record]) -> Job:
            seen.append(gc.isenabled())
            return super().stage(stream, records)

    assert gc.isenabled()
    loader = Spy([])
    WriteLoop(loader, parse_catalog(CATALOG), EventOut([])).run(lines(rec("users", 1)))
    assert seen == [False]
    assert gc.isenabled()
    loader = Spy([])
    loader.fail_on_stage = 1
    with pytest.raises(RuntimeError):
        WriteLoop(loader, parse_catalog(CATALOG), EventOut([])).run(lines(rec("users", 1)))
    assert gc.isenabled()
    gc.disable()
    try:
        WriteLoop(Spy([]), parse_catalog(CATALOG), EventOut([])).run(lines(rec("users", 1)))
        assert not gc.isenabled(), "a caller that had it off keeps it off"
    finally:
        gc.enable()


# -- the hot path's fallbacks ----------------------------------------------------------------------------------


class RecordingLoader(FakeLoader):
    """A FakeLoader that also keeps every staged record whole: (stream label, (data, emitted_at, changes))."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__(events)
        self.received: list[tuple[str, Record]] = []

    def stage(self, stream: StreamConfig, records: list[Record]) -> Job:
        self.received.extend((stream.label, record) for record in records)
        return super().stage(stream, records)


def run_recording(
    *messages: Any, catalog: Mapping[str, Any] = CATALOG, settings: WriteSettings | None = None
) -> tuple[Run, list[tuple[str, Record]]]:
    events: list[Event] = []
    loader = RecordingLoader(events)
    out = EventOut(events)
    committed = WriteLoop(loader, parse_catalog(catalog), out, settings).run(lines(*messages))
    return Run(loader, out, committed), loader.received


@pytest.fixture
def full_rules_lines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Line numbers of the RECORD lines that left the hot path for `_record` and its full rules."""
    seen: list[int] = []
    original = WriteLoop._record

    def spy(self: WriteLoop, lineno: int, line: bytes, message: dict[str, Any]) -> None:
        seen.append(lineno)
        original(self, lineno, line, message)

    monkeypatch.setattr(WriteLoop, "_record", spy)
    return seen


def raw_record(**record: Any) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"emitted_at": 1_700_000_000_000, **record}}


def test_hot_path_empty_namespace_routes_to_the_catalog_stream_and_counts(full_rules_lines: list[int]) -> None:
    result, received = run_recording(
        rec("users", 1, namespace=""),
        rec("users", 2, namespace=""),
        rec("users", 3),
        rec("orders", 10, namespace=""),
        rec("orders", 11, namespace=""),
        rec("orders", 12, namespace="shop"),
        stream_state("users", 1),
        stream_state("orders", 2, "shop"),
    )
    assert [(label, record[0]["id"]) for label, record in received] == [
        ("users", 1),
        ("users", 2),
        ("users", 3),
        ("shop.orders", 10),
        ("shop.orders", 11),
        ("shop.orders", 12),
    ]
    assert result.committed == 6
    assert result.counts() == {1: 3.0, 2: 3.0}
    # only the first record of each new spelling takes the full rules; the rest take the hot path
    assert full_rules_lines == [1, 4]


@pytest.mark.parametrize("stream", [["users"], {"name": "users"}, 5])
def test_hot_path_non_string_stream_is_skipped_and_later_lines_load(stream: Any, protocol_out: Any) -> None:
    result, received = run_recording(
        rec("users", 1),
        raw_record(stream=stream, data={"id": 2}),
        raw_record(stream=stream, data={"id": 3}),
        rec("users", 4),
        stream_state("users", 1),
    )
    assert [(label, record[0]["id"]) for label, record in received] == [("users", 1), ("users", 4)]
    assert result.counts() == {1: 2.0}
    warnings = protocol_out.logs("WARN")
    assert len(warnings) == 1
    assert f"'{stream}' (first at line 2): it is not in the configured catalog" in warnings[0]


@pytest.mark.parametrize("namespace", [["shop"], {"name": "shop"}])
def test_hot_path_non_string_namespace_is_skipped_and_later_lines_load(namespace: Any, protocol_out: Any) -> None:
    result, received = run_recording(
        rec("users", 1),
        raw_record(namespace=namespace, stream="users", data={"id": 2}),
        rec("users", 3),
        stream_state("users", 1),
    )
    assert [record[0]["id"] for _, record in received] == [1, 3]
    assert result.counts() == {1: 2.0}
    assert any("line 2: a RECORD whose namespace is not a string" in w for w in protocol_out.logs("WARN"))


def test_state_with_a_non_string_namespace_is_echoed_without_crashing() -> None:
    state = {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users", "namespace": ["x"]}}},
    }
    result = run(rec("users", 1), state, stream_state("users", 2))
    assert len(result.echoed()) == 2
    assert result.committed == 1


def test_hot_path_record_with_meta_changes_keeps_them_in_order(full_rules_lines: list[int]) -> None:
    changes = [{"field": "email", "change": "NULLED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"}]
    result, received = run_recording(
        rec("users", 1),
        rec("users", 2, meta={"changes": changes}),
        rec("users", 3),
        rec("users", 4, meta={"changes": []}),
        rec("users", 5, meta=None),
        stream_state("users", 1),
    )
    assert [(record[0]["id"], record[2]) for _, record in received] == [
        (1, None),
        (2, changes),
        (3, None),
        (4, None),
        (5, None),
    ]
    assert result.counts() == {1: 5.0}
    assert full_rules_lines == [2, 4]  # an explicit null meta is no meta: the hot path takes it


def test_hot_path_non_integer_emitted_at_is_converted(full_rules_lines: list[int]) -> None:
    result, received = run_recording(
        raw_record(stream="users", data={"id": 1}, emitted_at="5"),
        raw_record(stream="users", data={"id": 2}, emitted_at=7.0),
        raw_record(stream="users", data={"id": 3}, emitted_at=9),
        {"type": "RECORD", "record": {"stream": "users", "data": {"id": 4}}},  # no emitted_at at all
        stream_state("users", 1),
    )
    assert [(record[0]["id"], record[1]) for _, record in received] == [(1, 5), (2, 7), (3, 9), (4, 0)]
    assert [type(record[1]) for _, record in received] == [int] * 4
    assert result.counts() == {1: 4.0}
    assert full_rules_lines == [1, 2, 4]


def test_hot_path_long_numbers_reach_the_loader_exactly() -> None:
    line = (
        b'{"type": "RECORD", "record": {"stream": "users", "emitted_at": 1, '
        b'"data": {"id": 1, "big": 98765432109876543210, "dec": 0.12345678901234567891}}}'
    )
    result, received = run_recording(line, rec("users", 2), stream_state("users", 1))
    (_, (data, emitted_at, _)), (_, (after, _, _)) = received
    assert data["big"] == 98765432109876543210
    assert type(data["big"]) in (int, Decimal)
    assert data["dec"] == Decimal("0.12345678901234567891")
    assert emitted_at == 1
    assert after == {"id": 2}
    assert result.counts() == {1: 2.0}


def test_malformed_warnings_keep_their_line_numbers_after_hot_path_lines(protocol_out: Any) -> None:
    result = run(
        rec("users", 1),
        rec("users", 2),
        b"{not json",
        rec("users", 3),
        {"type": "RECORD", "record": {"stream": "users", "data": "text"}},
        b"null",
        b'{"type": "RECORD", "record": {"stream": "users", "emitted_at": 1, "data": {"id": 12345678901234567890}}}',
        rec("users", 4),
        {"type": "RECORD", "record": {"stream": "users", "emitted_at": "later", "data": {"id": 9}}},
        stream_state("users", 1),
    )
    assert result.loader.committed == [("users", n) for n in (1, 2, 3, 12345678901234567890, 4)]
    assert result.counts() == {1: 5.0}
    warnings = protocol_out.logs("WARN")
    assert [w.split(":")[0] for w in warnings[:4]] == [f"Skipping malformed input line {n}" for n in (3, 5, 6, 9)]
    assert warnings[-1] == "Skipped 4 malformed input line(s)."


def test_hot_path_and_full_rules_agree(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    messages: list[Any] = [
        rec("users", 1),
        rec("users", 2, namespace=""),
        rec("orders", 10, namespace="shop"),
        rec("orders", 11),
        rec("users", 3, meta={"changes": [{"field": "x", "change": "NULLED", "reason": "SOURCE_RETRIEVAL_ERROR"}]}),
        raw_record(stream="users", data={"id": 4}, emitted_at="5"),
        raw_record(stream="users", data={"id": 5}, emitted_at=True),
        raw_record(stream="users", data={"id": 6}, emitted_at=0),
        raw_record(stream="users", data={"id": 7}, namespace=None),
        raw_record(stream=["users"], data={"id": 8}),
        raw_record(stream="ghosts", data={"id": 9}),
        raw_record(stream="users", data=[1]),
        {"type": "RECORD", "record": None},
        stream_state("users", 1),
        b'{"type": "RECORD", "record": {"stream": "users", "emitted_at": 1, "data": {"id": 98765432109876543210}}}',
        b"{broken",
        b"null",
        b"[]",
        b'"RECORD"',
        rec("users", 10),
        global_state(2),
        rec("orders", 12, namespace="shop"),
        stream_state("orders", 3, "shop"),
    ]

    def outcome() -> tuple[Any, ...]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dockyard"):
            result, received = run_recording(*messages, settings=WriteSettings(batch_records=3, commit_records=4))
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        return received, result.echoed(), result.committed, warnings, result.events

    hot = outcome()

    def full_rules_only(self: WriteLoop, lines: Iterable[bytes]) -> None:
        for lineno, line in enumerate(lines, 1):
            self._handle(lineno, line)

    monkeypatch.setattr(WriteLoop, "_read", full_rules_only)
    assert outcome() == hot
    received, _, committed, warnings, _ = hot
    ids = [(label, record[0]["id"]) for label, record in received]
    assert [i for label, i in ids if label == "users"] == [1, 2, 3, 4, 5, 6, 7, 98765432109876543210, 10]
    assert [i for label, i in ids if label == "shop.orders"] == [10, 11, 12]
    assert committed == 12
    assert len(warnings) == 9  # two streams not in the catalog, six malformed lines, and the summary


@pytest.mark.parametrize("emitted_at", [2**60, -(2**60), 99999999999999999999])
def test_an_emitted_at_out_of_range_is_a_malformed_line(emitted_at: int, protocol_out: Any) -> None:
    line = b'{"type":"RECORD","record":{"stream":"users","emitted_at":%d,"data":{"id":2}}}' % emitted_at
    result = run(rec("users", 1), line, rec("users", 3), stream_state("users", 1))
    assert result.loader.committed == [("users", 1), ("users", 3)]
    assert any("line 2: a RECORD whose emitted_at is out of range" in w for w in protocol_out.logs("WARN"))
