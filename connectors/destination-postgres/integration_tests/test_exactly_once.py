"""Exactly-once effect: SIGKILL the destination at several points of a sync, restart from the states it echoed,
and the final tables equal those of an uninterrupted run (append, append_dedup with CDC deletes, overwrite).

A restart feeds what a source resuming from the echoed states would send: for per-stream states, each stream's
messages after that stream's last echoed state (in the original interleaving); for GLOBAL states, everything
after the last echoed one. One restart pretends the platform lost the newest echoed states, so the destination
sees states it committed but never had acknowledged, and a last run replays a finished sync.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

pytestmark = pytest.mark.postgres

MAIN = Path(__file__).resolve().parents[1] / "main.py"
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "v": {"type": "integer"},
        "updated_at": {"type": "integer"},
        "_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time"},
    },
}
STREAMS = {"events": "append", "users": "append_dedup", "snapshot": "overwrite"}
SMALL_BATCHES = {"batch_size_records": 1500, "commit_every_records": 4000}


def entry(name: str, mode: str) -> dict[str, Any]:
    return {
        "stream": {"name": name, "json_schema": SCHEMA, "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "primary_key": [["id"]] if mode == "append_dedup" else [],
        "cursor_field": ["updated_at"] if mode == "append_dedup" else [],
        "generation_id": 3,
        "minimum_generation_id": 3 if mode == "overwrite" else 0,
        "sync_id": 77,
    }


class Messages:
    """A sync's input as lines, with the stream of each line and where each state sits."""

    def __init__(self, records: int, global_states: bool) -> None:
        self.global_states = global_states
        self.lines: list[bytes] = []
        self.streams: list[str | None] = []  # the stream of each line; None for a GLOBAL state
        self.state_index: dict[bytes, int] = {}
        sizes = {"events": 5, "users": 4, "snapshot": 1}  # records per block, in tenths of a block
        block = 0
        seq = 0
        while seq < records:
            block += 1
            for name in ("events", "users"):
                for _ in range(sizes[name] * 50):
                    seq += 1
                    self._record(name, seq)
            self._state("events", block)  # users has uncovered records right here
            for _ in range(sizes["snapshot"] * 50):
                seq += 1
                self._record("snapshot", seq)
            self._state("users", block)
            self._state("snapshot", block)

    def _record(self, stream: str, seq: int) -> None:
        data: dict[str, Any] = {"id": seq % 3001 if stream == "users" else seq, "v": seq, "updated_at": seq}
        if stream == "users" and seq % 7 == 0:
            data["_ab_cdc_deleted_at"] = "2024-01-01T00:00:00Z"
        line = {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1_700_000_000_000 + seq}}
        self.lines.append(orjson.dumps(line) + b"\n")
        self.streams.append(stream)

    def _state(self, stream: str, block: int) -> None:
        if self.global_states:
            if stream != "snapshot":
                return
            state: dict[str, Any] = {
                "type": "GLOBAL",
                "global": {
                    "shared_state": {"lsn": block},
                    "stream_states": [
                        {"stream_descriptor": {"name": s}, "stream_state": {"block": block}} for s in STREAMS
                    ],
                },
            }
            owner = None
        else:
            descriptor = {"stream_descriptor": {"name": stream}, "stream_state": {"block": block}}
            state = {"type": "STREAM", "stream": descriptor}
            owner = stream
        self.state_index[self._key(state)] = len(self.lines)
        self.lines.append(orjson.dumps({"type": "STATE", "state": state}) + b"\n")
        self.streams.append(owner)

    @staticmethod
    def _key(state: dict[str, Any]) -> bytes:
        clean = {k: v for k, v in state.items() if k != "destinationStats"}
        return orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)

    def replay(self, starts: dict[str | None, int]) -> list[bytes]:
        """What a source resuming from the echoed states sends (see the module docstring)."""
        if self.global_states:
            return self.lines[starts.get(None, 0) :]
        return [line for i, line in enumerate(self.lines) if i >= starts.get(self.streams[i] or "", 0)]

    def advance(self, starts: dict[str | None, int], echoed: list[dict[str, Any]]) -> None:
        for state in echoed:
            index = self.state_index[self._key(state)]
            owner = self.streams[index]
            starts[owner] = max(starts.get(owner, 0), index + 1)


class Attempt:
    def __init__(self, states: list[dict[str, Any]], logs: list[str], errors: list[Any], code: int) -> None:
        self.states, self.logs, self.errors, self.code = states, logs, errors, code


def run_attempt(config: Path, catalog: Path, lines: list[bytes], kill_after_states: int | None) -> Attempt:
    """Run `write` as a process; SIGKILL it once it has echoed `kill_after_states` states."""
    process = subprocess.Popen(
        [sys.executable, str(MAIN), "write", "--config", str(config), "--catalog", str(catalog)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None

    def feed() -> None:
        assert process.stdin is not None
        try:
            for start in range(0, len(lines), 2000):
                process.stdin.write(b"".join(lines[start : start + 2000]))
            process.stdin.close()
        except OSError:  # killed while we were writing
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    states: list[dict[str, Any]] = []
    logs: list[str] = []
    errors: list[Any] = []
    for raw in process.stdout:
        message = orjson.loads(raw)
        if message["type"] == "STATE":
            states.append(message["state"])
            if kill_after_states is not None and len(states) >= kill_after_states:
                os.kill(process.pid, signal.SIGKILL)
                break
        elif message["type"] == "LOG":
            logs.append(message["log"]["message"])
        elif message["type"] == "TRACE":
            errors.append(message["trace"])
    process.stdout.close()
    code = process.wait(timeout=120)
    feeder.join(timeout=30)
    return Attempt(states, logs, errors, code)


def snapshot(dest: Any) -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    for name in STREAMS:
        rows = dest.query(
            f"SELECT id, v, updated_at, _ab_cdc_deleted_at, _airbyte_extracted_at, _airbyte_meta::text, "
            f'_airbyte_generation_id FROM "public"."{name}" ORDER BY v'
        )
        tables[name] = rows
    return tables


@pytest.mark.parametrize(("global_states", "records"), [(False, 200_000), (True, 60_000)], ids=["stream", "global"])
def test_sigkill_and_restart_equals_an_uninterrupted_run(
    postgres_cluster: Any, dest: Any, tmp_path: Path, global_states: bool, records: int
) -> None:
    messages = Messages(records, global_states)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": [entry(n, m) for n, m in STREAMS.items()]}))

    # The uninterrupted run, in a database of its own.
    clean_db = postgres_cluster.create_database()
    try:
        clean_config = tmp_path / "clean.json"
        clean_config.write_text(json.dumps({**dest.config, "database": clean_db, **SMALL_BATCHES}))
        clean = run_attempt(clean_config, catalog, messages.lines, None)
        assert clean.code == 0, clean.errors
        clean_dest = type(dest)({**dest.db, "database": clean_db}, tmp_path)
        expected = snapshot(clean_dest)
    finally:
        postgres_cluster.drop_database(clean_db)
    assert len(expected["events"]) > 0.4 * records
    assert 0 < len(expected["users"]) < 3001 and all(r[3] is None for r in expected["users"])

    config = tmp_path / "config.json"
    config.write_text(json.dumps({**dest.config, **SMALL_BATCHES}))
    starts: dict[str | None, int] = {}
    replays_dropped = 0
    for attempt, kill_after in enumerate([2, 25, 60, 140]):
        run = run_attempt(config, catalog, messages.replay(starts), kill_after)
        replays_dropped += sum("already committed" in line for line in run.logs)
        received = run.states[:-4] if attempt == 1 else run.states  # the platform lost the newest states
        messages.advance(starts, received)
        assert run.code == -signal.SIGKILL or (run.code == 0 and kill_after > len(run.states))
    before_last = dict(starts)
    final = run_attempt(config, catalog, messages.replay(starts), None)
    assert final.code == 0, final.errors
    assert replays_dropped > 0, "no restart saw a state committed by a killed attempt"
    assert snapshot(dest) == expected

    # The sync finished, but pretend the platform never got the last attempt's states: replaying it changes nothing.
    again = run_attempt(config, catalog, messages.replay(before_last), None)
    assert again.code == 0, again.errors
    assert snapshot(dest) == expected
