"""The loader's background thread: `OrderedWorker` alone, inside the write loop, and with the SQL loader's jobs.

Threads are synchronised with events, never with sleeps: a job that must wait blocks on an `Event` the test
sets. Waits carry a generous timeout only so that a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import orjson
import pytest
from destination_duckdb.destination import DestinationDuckdb
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey, parse_catalog
from dockyard_runtime.destination.loader import Job, Record
from dockyard_runtime.destination.pipeline import OrderedWorker
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.sql.loader import SqlLoader

HANG_GUARD = 10.0  # seconds; only reached when the code under test is broken
Event = tuple[Any, ...]


class JobFailedError(Exception):
    """What the test jobs raise."""


def worker_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def wait(event: threading.Event, what: str) -> None:
    if not event.wait(HANG_GUARD):
        raise AssertionError(f"timed out waiting for {what}")


def record_thread(ran: list[tuple[int, int]], n: int) -> None:
    ran.append((n, threading.get_ident()))


@pytest.fixture
def worker_name(request: pytest.FixtureRequest) -> str:
    return f"test-worker-{request.node.name}"


# -- OrderedWorker ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 3])
def test_jobs_run_in_submission_order_on_one_other_thread(depth: int, worker_name: str) -> None:
    ran: list[tuple[int, int]] = []
    worker = OrderedWorker(depth=depth, name=worker_name)
    try:
        for n in range(20):
            worker.submit(partial(record_thread, ran, n))
        worker.drain()
    finally:
        worker.close()
    assert [n for n, _ in ran] == list(range(20))
    threads = {ident for _, ident in ran}
    assert len(threads) == 1, "every job runs on the same background thread"
    assert threading.get_ident() not in threads


def test_drain_waits_for_every_submitted_job() -> None:
    release = threading.Event()
    ran: list[str] = []
    worker = OrderedWorker(depth=2)

    def slow() -> None:
        wait(release, "release")
        ran.append("slow")

    try:
        worker.submit(slow)
        worker.submit(lambda: ran.append("after"))
        release.set()
        worker.drain()
        assert ran == ["slow", "after"]
    finally:
        worker.close()


def test_submit_blocks_while_the_queue_is_full() -> None:
    started, release, third_submitted = threading.Event(), threading.Event(), threading.Event()
    ran: list[int] = []
    worker = OrderedWorker(depth=1)

    def first() -> None:
        started.set()
        wait(release, "release")
        ran.append(1)

    def submit_third() -> None:
        worker.submit(lambda: ran.append(3))
        third_submitted.set()

    helper = threading.Thread(target=submit_third)
    try:
        worker.submit(first)
        wait(started, "the first job to start")  # the first job left the queue and holds the thread
        worker.submit(lambda: ran.append(2))  # fills the queue (depth 1)
        helper.start()
        assert not third_submitted.wait(0.2), "submit returned while the queue was full"
        helper.join(0.2)
        assert helper.is_alive()
        assert ran == []
        release.set()
        helper.join(HANG_GUARD)
        assert not helper.is_alive()
        assert third_submitted.is_set()
        worker.drain()
        assert ran == [1, 2, 3]
    finally:
        release.set()
        worker.close()


def test_a_deeper_queue_accepts_that_many_jobs_without_blocking() -> None:
    started, release, submitted = threading.Event(), threading.Event(), threading.Event()
    ran: list[int] = []
    worker = OrderedWorker(depth=3)

    def first() -> None:
        started.set()
        wait(release, "release")
        ran.append(0)

    def submit_three() -> None:
        for n in (1, 2, 3):
            worker.submit(partial(ran.append, n))
        submitted.set()

    try:
        worker.submit(first)
        wait(started, "the first job to start")
        helper = threading.Thread(target=submit_three)
        helper.start()
        wait(submitted, "three submits into a queue of depth 3 while a job runs")
        assert ran == [], "the running job still holds the thread"
        release.set()
        worker.drain()
        assert ran == [0, 1, 2, 3]
    finally:
        release.set()
        worker.close()


def test_a_job_error_is_raised_by_a_later_submit_and_no_later_job_runs(worker_name: str) -> None:
    started, release = threading.Event(), threading.Event()
    boom = JobFailedError("copy failed")
    ran: list[str] = []
    worker = OrderedWorker(depth=1, name=worker_name)

    def failing() -> None:
        started.set()
        wait(release, "release")
        raise boom

    try:
        worker.submit(failing)
        wait(started, "the failing job to start")
        worker.submit(lambda: ran.append("queued before the failure"))
        release.set()
        # The first submit after the failure either raises it, or (if the worker has not recorded it yet) queues
        # its job; that put completes only once the worker took the queued job, i.e. after recording the error,
        # so the second submit raises it at the latest.
        with pytest.raises(JobFailedError) as raised:
            worker.submit(lambda: ran.append("submitted after the failure, 1"))
            worker.submit(lambda: ran.append("submitted after the failure, 2"))
        assert raised.value is boom
        # A caller that carries on is told again: every later submit and drain raises the same error.
        with pytest.raises(JobFailedError) as again:
            worker.submit(lambda: ran.append("submitted after the error was raised"))
        assert again.value is boom
        with pytest.raises(JobFailedError):
            worker.drain()
        assert ran == []
    finally:
        release.set()
        worker.close()
    assert ran == []
    assert worker_threads(worker_name) == []


def test_a_job_error_is_raised_by_drain_and_skips_jobs_already_queued(worker_name: str) -> None:
    started, release = threading.Event(), threading.Event()
    boom = JobFailedError("merge failed")
    ran: list[str] = []
    worker = OrderedWorker(depth=2, name=worker_name)

    def failing() -> None:
        started.set()
        wait(release, "release")
        raise boom

    try:
        worker.submit(failing)
        wait(started, "the failing job to start")
        worker.submit(lambda: ran.append("second"))
        worker.submit(lambda: ran.append("third"))
        release.set()
        with pytest.raises(JobFailedError) as raised:
            worker.drain()
        assert raised.value is boom
        assert ran == []
    finally:
        release.set()
        worker.close()
    assert worker_threads(worker_name) == []


def test_an_error_raised_immediately_reaches_drain() -> None:
    boom = JobFailedError("at once")
    worker = OrderedWorker()

    def failing() -> None:
        raise boom

    try:
        worker.submit(failing)
        with pytest.raises(JobFailedError) as raised:
            worker.drain()
        assert raised.value is boom
    finally:
        worker.close()


def test_close_runs_queued_jobs_then_stops_the_thread(worker_name: str) -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []
    worker = OrderedWorker(depth=2, name=worker_name)
    assert len(worker_threads(worker_name)) == 1

    def first() -> None:
        started.set()
        wait(release, "release")
        ran.append(0)

    worker.submit(first)
    wait(started, "the first job to start")
    worker.submit(lambda: ran.append(1))
    worker.submit(lambda: ran.append(2))
    release.set()
    worker.close()
    assert ran == [0, 1, 2]
    assert worker_threads(worker_name) == []
    worker.close()  # a second close is harmless


def test_close_after_an_unraised_failure_returns_and_skips_the_rest(worker_name: str) -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []
    worker = OrderedWorker(depth=2, name=worker_name)

    def failing() -> None:
        started.set()
        wait(release, "release")
        raise JobFailedError("never raised to anyone")

    worker.submit(failing)
    wait(started, "the failing job to start")
    worker.submit(lambda: ran.append("queued"))
    release.set()
    worker.close()
    assert ran == []
    assert worker_threads(worker_name) == []


# -- inside the write loop -------------------------------------------------------------------------------------

CATALOG = {"streams": [{"stream": {"name": "users", "json_schema": {}}, "destination_sync_mode": "append"}]}


def rec(rid: int) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": "users", "emitted_at": 1_700_000_000_000, "data": {"id": rid}}}


def state(sid: int, stream: str = "users") -> dict[str, Any]:
    return {"type": "STATE", "state": {"type": "STREAM", "id": sid, "stream": {"stream_descriptor": {"name": stream}}}}


def lines(*messages: dict[str, Any]) -> list[bytes]:
    return [orjson.dumps(m) for m in messages]


class JobLoader:
    """A Loader whose write calls do nothing but return a job; `open` and each job log (kind, detail, thread)."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.closed = False

    def open(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        self.events.append(("open", None, threading.get_ident()))

    def _job(self, kind: str, detail: Any = None) -> Job:
        return lambda: self.events.append((kind, detail, threading.get_ident()))

    def stage(self, stream: StreamConfig, records: list[Record]) -> Job | None:
        return self._job("stage job", [data["id"] for data, _, _ in records])

    def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> Job | None:
        return self._job("commit job", [s["state"]["id"] for s in states])

    def is_committed(self, state: Mapping[str, Any]) -> bool:
        return False

    def discard_staged(self, streams: Iterable[StreamKey] | None = None) -> Job | None:
        return self._job("discard job")

    def finish(self) -> Job | None:
        return self._job("finish job")

    def close(self) -> None:
        self.closed = True


class EventOut(io.BytesIO):
    """Protocol output logging each echoed state as ("echo", id, thread) into the shared event list."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events

    def write(self, data: Any) -> int:
        for line in bytes(data).splitlines():
            self.events.append(("echo", orjson.loads(line)["state"]["id"], threading.get_ident()))
        return super().write(data)


def test_a_failed_stage_job_fails_the_run_before_any_commit_or_echo() -> None:
    events: list[Event] = []
    boom = JobFailedError("COPY failed")
    finish_called = threading.Event()

    class FailingStage(JobLoader):
        def stage(self, stream: StreamConfig, records: list[Record]) -> Job | None:
            def job() -> None:
                # Fail only once the loop reached its final commit: by then the commit job of state 1 is queued.
                wait(finish_called, "the final commit")
                raise boom

            return job

        def finish(self) -> Job | None:
            finish_called.set()
            return super().finish()

    loader = FailingStage(events)
    out = EventOut(events)
    loop = WriteLoop(loader, parse_catalog(CATALOG), out, WriteSettings(commit_records=1))
    with pytest.raises(JobFailedError) as raised:
        loop.run(lines(rec(1), state(1)))
    assert raised.value is boom
    assert finish_called.is_set()
    assert [e[0] for e in events] == ["open"], "no commit, finish or echo after the failed stage job"
    assert out.getvalue() == b""
    assert loader.closed


def test_states_are_echoed_by_the_worker_only_after_their_commit_job_ran() -> None:
    events: list[Event] = []
    loader = JobLoader(events)
    loop = WriteLoop(loader, parse_catalog(CATALOG), EventOut(events), WriteSettings(commit_records=1))
    committed = loop.run(lines(rec(1), state(1), rec(2), rec(3), state(2), state(3)))
    assert committed == 3
    assert [e[:2] for e in events] == [
        ("open", None),
        ("stage job", [1]),
        ("commit job", [1]),
        ("echo", 1),
        ("stage job", [2, 3]),
        ("commit job", [2]),
        ("echo", 2),
        ("commit job", [3]),  # nothing pending: committed and echoed at once, still through the worker
        ("echo", 3),
        ("commit job", []),
        ("finish job", None),
    ]
    assert events[0][2] == threading.get_ident(), "open runs in the caller's thread"
    threads = {e[2] for e in events[1:]}
    assert len(threads) == 1, "jobs and echoes all run on the worker thread"
    assert threading.get_ident() not in threads
    assert loader.closed


def test_states_of_the_final_commit_are_echoed_after_finish() -> None:
    events: list[Event] = []
    loop = WriteLoop(JobLoader(events), parse_catalog(CATALOG), EventOut(events), WriteSettings(commit_records=10))
    loop.run(lines(rec(1), state(1)))
    assert [e[:2] for e in events] == [
        ("open", None),
        ("stage job", [1]),
        ("commit job", [1]),
        ("finish job", None),
        ("echo", 1),
    ]


def test_a_failed_commit_job_echoes_nothing_and_skips_finish() -> None:
    events: list[Event] = []
    boom = JobFailedError("transaction aborted")

    class FailingCommit(JobLoader):
        def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> Job | None:
            def job() -> None:
                raise boom

            return job

    loader = FailingCommit(events)
    out = EventOut(events)
    with pytest.raises(JobFailedError) as raised:
        WriteLoop(loader, parse_catalog(CATALOG), out, WriteSettings(commit_records=1)).run(
            lines(rec(1), state(1), rec(2), state(2))
        )
    assert raised.value is boom
    assert [e[0] for e in events] == ["open", "stage job"]
    assert out.getvalue() == b""
    assert loader.closed


# -- the SQL loader's jobs -------------------------------------------------------------------------------------

SQL_CATALOG = {
    "streams": [
        {
            "stream": {
                "name": "people",
                "json_schema": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "updated": {"type": "integer"},
                    },
                },
            },
            "sync_mode": "incremental",
            "destination_sync_mode": "append_dedup",
            "primary_key": [["id"]],
            "cursor_field": ["updated"],
            "sync_id": 7,
        },
        {
            "stream": {"name": "events", "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}}},
            "destination_sync_mode": "overwrite",
            "sync_id": 7,
        },
    ]
}
PEOPLE, EVENTS = (None, "people"), (None, "events")


def records(*rows: dict[str, Any]) -> list[Record]:
    return [(row, 1_700_000_000_000, None) for row in rows]


def drive(loader: SqlLoader, streams: Mapping[StreamKey, StreamConfig], run: Callable[[Job | None], None]) -> None:
    """One sync's loader calls; `run` gets each call's job (at once, or kept for later)."""
    people, events = streams[PEOPLE], streams[EVENTS]
    run(loader.stage(people, records({"id": 1, "name": "a", "updated": 1}, {"id": 2, "name": "b", "updated": 1})))
    run(loader.stage(events, records({"id": 10})))
    run(loader.stage(people, records({"id": 1, "name": "a2", "updated": 2, "extra": 5})))  # adds a column
    run(loader.commit([state(1, "people")], {PEOPLE: 1}))  # keeps the last people record staged
    run(loader.stage(people, records({"id": 3, "name": "c", "updated": 1, "extra": "five"})))  # widens `extra`
    run(loader.stage(events, records({"id": 11})))
    run(loader.discard_staged([EVENTS]))  # drops events 11 only: events 10 is committed
    run(loader.commit([state(2, "people")]))
    run(loader.finish())


def snapshot(loader: SqlLoader) -> dict[str, Any]:
    query = loader.client.query
    return {
        "tables": sorted(r[0] for r in query("SELECT table_name FROM information_schema.tables")),
        "people": query('SELECT id, name, updated, extra, "_airbyte_meta" FROM main.people ORDER BY id'),
        "extra type": query(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'extra'"
        ),
        "events": query("SELECT id FROM main.events ORDER BY id"),
        "ledger": sorted(query("SELECT sync_id, state_hash FROM main._airbyte_destination_state")),
    }


def duckdb_loader(streams: Mapping[StreamKey, StreamConfig]) -> SqlLoader:
    loader = DestinationDuckdb().create_loader({"destination_path": ":memory:", "schema": "main"}, streams)
    loader.open(streams)
    return loader


def test_sql_loader_jobs_run_after_every_later_call_load_what_their_call_saw() -> None:
    streams = parse_catalog(SQL_CATALOG)

    eager = duckdb_loader(streams)
    try:
        drive(eager, streams, lambda job: job() if job is not None else None)
        expected = snapshot(eager)
    finally:
        eager.close()

    deferred = duckdb_loader(streams)
    jobs: list[Job] = []
    try:
        drive(deferred, streams, lambda job: jobs.append(job) if job is not None else None)
        assert len(jobs) >= 6, "every commit, discard and finish returns a job, and so does a stage that loads"
        assert deferred.client.query("SELECT count(*) FROM main.people") == [(0,)], "calls alone load nothing"
        worker = OrderedWorker(depth=len(jobs))
        try:
            for job in jobs:
                worker.submit(job)
            worker.drain()
        finally:
            worker.close()
        assert snapshot(deferred) == expected
    finally:
        deferred.close()

    assert [row[:4] for row in expected["people"]] == [(1, "a2", 2, "5"), (2, "b", 1, None), (3, "c", 1, "five")]
    assert [orjson.loads(row[4]) for row in expected["people"]] == [{"changes": [], "sync_id": 7}] * 3
    assert expected["extra type"] == [("VARCHAR",)]
    assert expected["events"] == [(10,)]
    assert expected["tables"] == ["_airbyte_destination_state", "events", "people"]
    assert len(expected["ledger"]) == 4, "two states and one finish marker per stream"
