"""A local sync: a source's `read` piped into a destination's `write`, two processes, state kept in a file.

The state file holds the states the destination echoed (so only committed progress is saved) as the list
that `read --state` accepts, which makes the next run incremental.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from dockyard_tools.catalogs import configure_catalog
from dockyard_tools.connectors import python_command

CHUNK = 1 << 16


class SyncError(Exception):
    """The sync did not complete; the message says which side failed and why."""


@dataclass
class SyncResult:
    records: Counter[str] = field(default_factory=Counter)
    states_saved: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.records.values())


def _state_key(state: dict[str, Any]) -> str:
    if state.get("type") == "STREAM":
        d = state.get("stream", {}).get("stream_descriptor", {})
        return f"stream:{d.get('namespace') or ''}.{d.get('name')}"
    return str(state.get("type") or "LEGACY")


class StateFile:
    """Latest committed state per stream (or the global/legacy one), written atomically after each change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.states: dict[str, dict[str, Any]] = {}
        if path.exists():
            for state in json.loads(path.read_text() or "[]"):
                self.states[_state_key(state)] = state

    def update(self, state: dict[str, Any]) -> None:
        state = {k: v for k, v in state.items() if k not in ("destinationStats", "sourceStats")}
        self.states[_state_key(state)] = state
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(list(self.states.values()), indent=2))
        os.replace(tmp, self.path)


def _discover(source: str, config: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [*python_command(source), "discover", "--config", str(config)], capture_output=True, check=False
    )
    for line in proc.stdout.splitlines():
        message = orjson.loads(line) if line.startswith(b"{") else {}
        if message.get("type") == "CATALOG":
            catalog: dict[str, Any] = message["catalog"]
            return catalog
        if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
            raise SyncError(f"{source} discover failed: {message['trace']['error']['message']}")
    raise SyncError(f"{source} discover returned no catalog (exit code {proc.returncode}).")


def _stream_of(line: bytes) -> str | None:
    """The stream name of a RECORD line without a full parse (the source writes compact JSON)."""
    if not line.startswith(b'{"type":"RECORD"'):
        return None
    start = line.find(b'"stream":"')
    if start < 0:
        return None
    start += 10
    return line[start : line.find(b'"', start)].decode()


def _problem(line: bytes, side: str) -> str | None:
    if b'"TRACE"' not in line[:40] and b'"level":"ERROR"' not in line and b'"level":"FATAL"' not in line:
        return None
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
        return f"{side}: {message['trace']['error'].get('message')}"
    if message.get("type") == "LOG":
        return f"{side}: {message['log'].get('message')}"
    return None


def run_sync(
    source: str,
    destination: str,
    *,
    source_config: Path,
    destination_config: Path,
    state_path: Path,
    catalog_path: Path | None = None,
    streams: list[str] | None = None,
    on_progress: Callable[[Counter[str], float], None] | None = None,
) -> SyncResult:
    """Run one sync; raises SyncError when either side fails (the state file keeps committed progress)."""
    result = SyncResult()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dockyard-sync-") as tmp:
        if catalog_path is None:
            catalog = configure_catalog(_discover(source, source_config), sync_id=int(time.time()), streams=streams)
            catalog_path = Path(tmp) / "configured_catalog.json"
            catalog_path.write_text(json.dumps(catalog))
        state_file = StateFile(state_path)
        read_cmd = [*python_command(source), "read", "--config", str(source_config), "--catalog", str(catalog_path)]
        if state_file.states:
            input_state = Path(tmp) / "state.json"
            input_state.write_text(json.dumps(list(state_file.states.values())))
            read_cmd += ["--state", str(input_state)]
        write_cmd = [
            *python_command(destination),
            "write",
            "--config",
            str(destination_config),
            "--catalog",
            str(catalog_path),
        ]
        src = subprocess.Popen(read_cmd, stdout=subprocess.PIPE)
        dst = subprocess.Popen(write_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert src.stdout is not None and dst.stdin is not None and dst.stdout is not None
        reader = threading.Thread(target=_collect_destination, args=(dst.stdout, state_file, result), daemon=True)
        reader.start()
        _pump(src.stdout, dst.stdin, result, started, on_progress)
        src_code = src.wait()
        dst_code = dst.wait()
        reader.join()
    result.seconds = time.monotonic() - started
    if src_code or dst_code:
        detail = "; ".join(result.errors[-3:]) or "no error message"
        side = source if src_code else destination
        raise SyncError(f"The sync failed in {side} (exit codes: source {src_code}, destination {dst_code}): {detail}")
    return result


def _pump(
    src: IO[bytes],
    dst: IO[bytes],
    result: SyncResult,
    started: float,
    on_progress: Callable[[Counter[str], float], None] | None,
) -> None:
    """Forward the source's output to the destination, counting records per stream on the way."""
    last_report = 0.0
    counts = result.records
    try:
        for line in src:
            stream = _stream_of(line)
            if stream is not None:
                counts[stream] += 1
            else:
                problem = _problem(line, "source")
                if problem:
                    result.errors.append(problem)
            dst.write(line)
            if on_progress and stream is not None and counts[stream] % 5000 == 0:
                now = time.monotonic()
                if now - last_report >= 0.5:
                    on_progress(counts, now - started)
                    last_report = now
    except BrokenPipeError:
        result.errors.append("destination: stopped reading its input")
    finally:
        with contextlib.suppress(BrokenPipeError):
            dst.close()
    if on_progress:
        on_progress(counts, time.monotonic() - started)


def _collect_destination(out: IO[bytes], state_file: StateFile, result: SyncResult) -> None:
    for line in out:
        if line.startswith(b'{"type":"STATE"'):
            state_file.update(orjson.loads(line)["state"])
            result.states_saved += 1
        else:
            problem = _problem(line, "destination")
            if problem:
                result.errors.append(problem)


def format_progress(counts: Counter[str], seconds: float) -> str:
    parts = [f"{name} {n:,} ({n / seconds:,.0f}/s)" for name, n in sorted(counts.items()) if seconds > 0]
    return " | ".join(parts) or "waiting for records"


def stderr_progress() -> Callable[[Counter[str], float], None]:
    """A live line on a terminal, plain log lines (every 5 s) otherwise."""
    tty = sys.stderr.isatty()
    last = [0.0]

    def report(counts: Counter[str], seconds: float) -> None:
        if tty:
            sys.stderr.write("\r\033[K" + format_progress(counts, seconds))
            sys.stderr.flush()
        elif seconds - last[0] >= 5:
            last[0] = seconds
            sys.stderr.write(f"[{seconds:6.1f}s] {format_progress(counts, seconds)}\n")

    return report
