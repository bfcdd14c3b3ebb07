"""Measuring one child process: wall time, what it wrote to stdout, and its peak memory.

The child's stdout is read in the parent in large chunks and only counted (lines, and lines that are Airbyte
RECORD messages), so the sink costs next to nothing and never applies back-pressure a real destination would.
Peak memory is reported two ways: the kernel's high-water mark of the largest single process (`ru_maxrss` from
`wait4`, exact) and the largest sum over the whole process tree seen by polling /proc (PSS, so pages shared by
forked workers are not counted twice), which is what a multi-process connector really costs. CPU time (user +
system, workers included) is reported too: on a shared machine it is a steadier yardstick than wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard_tools import REPO_ROOT

PEER_VENVS = REPO_ROOT / ".build" / "bench-venvs"

RECORD_MARKER = b'{"type":"RECORD"'
_CHUNK = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux fcntl: grow the pipe so the child can write large chunks without blocking


@dataclass
class Measurement:
    command: Sequence[str]
    exit_code: int
    seconds: float
    lines: int
    records: int
    bytes_out: int
    peak_rss_bytes: int
    peak_tree_pss_bytes: int
    cpu_seconds: float = 0.0  # user + system time of the child and the children it reaped (e.g. pool workers)

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def records_per_cpu_second(self) -> float:
        """Throughput per CPU second: unlike records/s, barely moved by other load on the machine."""
        return self.records / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


class LineCounter:
    """Counts lines and RECORD lines of a byte stream fed in arbitrary chunks."""

    def __init__(self, marker: bytes = RECORD_MARKER) -> None:
        self._marker = marker
        self._pattern = b"\n" + marker
        self._carry = b""  # always starts at the beginning of a line
        self.lines = 0
        self.records = 0
        self.bytes = 0

    def feed(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        data = self._carry + chunk if self._carry else chunk
        last = data.rfind(b"\n")
        if last < 0:
            self._carry = data
            return
        self.lines += data.count(b"\n", 0, last + 1)
        self.records += data.startswith(self._marker) + data.count(self._pattern, 0, last + 1)
        self._carry = data[last + 1 :]

    def close(self) -> None:
        """Count a last line that has no newline."""
        if self._carry:
            self.lines += 1
            self.records += self._carry.startswith(self._marker)
            self._carry = b""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except OSError:
            continue
    return found


def _pss_bytes(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_pss_bytes(root: int) -> int:
    """PSS summed over `root` and all its descendants (0 when it is gone)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _pss_bytes(pid)
        pending.extend(_children(pid))
    return total


class _TreePoller(threading.Thread):
    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._interval = interval
        self._stop_event = threading.Event()
        self.peak = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_pss_bytes(self._pid))
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def measure(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stderr_path: Path | None = None,
    poll_interval: float = 0.1,
) -> Measurement:
    """Run `command` to completion, counting its stdout; stderr goes to `stderr_path` (or is discarded)."""
    counter = LineCounter()
    stderr = stderr_path.open("wb") if stderr_path else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=stderr, env=dict(env) if env else None, cwd=cwd
        )
        assert process.stdout is not None
        fd = process.stdout.fileno()
        try:
            import fcntl

            fcntl.fcntl(fd, _F_SETPIPE_SZ, _CHUNK)
        except (ImportError, OSError):
            pass
        poller = _TreePoller(process.pid, poll_interval)
        poller.start()
        while chunk := os.read(fd, _CHUNK):
            counter.feed(chunk)
        counter.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        poller.stop()
        process.stdout.close()
    finally:
        if stderr_path and not isinstance(stderr, int):
            stderr.close()
    return Measurement(
        command=list(command),
        exit_code=process.returncode,
        seconds=seconds,
        lines=counter.lines,
        records=counter.records,
        bytes_out=counter.bytes,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        peak_tree_pss_bytes=poller.peak,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def ensure_peer_venv(name: str, package: str, executable: str) -> Path:
    """`executable` of a peer's `package`, installed in its own virtualenv under .build/bench-venvs when absent
    (peers never share our environment, so their pins cannot skew ours)."""
    venv = PEER_VENVS / name
    path = venv / "bin" / executable
    if path.exists():
        return path
    print(f"installing {package} into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", package], check=True
    )
    return path


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path
