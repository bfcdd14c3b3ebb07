"""Benchmark: destination-duckdb's `write` on generated user records, 1M then 5M, for speed and flat memory.

The input is a protocol stream of faker-like users (id, name, email, age, two timestamps, a nested address) with a
STATE every 10,000 records, generated once per size into .build/bench/destination-duckdb and reused. Each size is
written by a fresh `python main.py write` process into a new database; rows/s is rows landed divided by the wall
time of the whole process (startup and the final commit included), and peak RSS is that process's kernel
high-water mark (`ru_maxrss` from `wait4`). Memory must not grow with the input: batches are bounded, so 5M rows
should peak where 1M rows does.

    python -m dockyard_tools.bench.destination_duckdb [--sizes 1000000,5000000] [--min-rows-per-second 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dockyard_tools import REPO_ROOT
from dockyard_tools.bench.common import Measurement, measure

WORK_DIR = REPO_ROOT / ".build" / "bench" / "destination-duckdb"
MAIN = REPO_ROOT / "connectors" / "destination-duckdb" / "main.py"
STATE_EVERY = 10_000
EMITTED_AT = 1_700_000_000_000
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Guido", "Frances", "Donald")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Perlman", "Knuth")
CITIES = ("Lyon", "Paris", "Berlin", "Lisbon", "Oslo", "Austin", "Kyoto", "Quito", "Accra", "Perth")
STREETS = ("Main St", "Rue de la Paix", "Hauptstrasse", "Elm Ave", "Harbor Rd", "Baker St")

CATALOG: dict[str, Any] = {
    "streams": [
        {
            "stream": {
                "name": "users",
                "json_schema": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": ["null", "string"]},
                        "email": {"type": ["null", "string"]},
                        "age": {"type": ["null", "integer"]},
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "address": {"type": ["null", "object"]},
                    },
                },
                "supported_sync_modes": ["full_refresh", "incremental"],
            },
            "sync_mode": "incremental",
            "destination_sync_mode": "append",
            "generation_id": 1,
            "minimum_generation_id": 0,
        }
    ]
}


def _user(rng: random.Random, n: int) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    created = 1_500_000_000 + rng.randrange(200_000_000)
    return {
        "id": n,
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{n}@example.com",
        "age": rng.randrange(18, 90),
        "created_at": _iso(created),
        "updated_at": _iso(created + rng.randrange(10_000_000)),
        "address": {
            "street": f"{rng.randrange(1, 999)} {rng.choice(STREETS)}",
            "city": rng.choice(CITIES),
            "zip": f"{rng.randrange(10000, 99999)}",
            "geo": {"lat": round(rng.uniform(-90, 90), 6), "lon": round(rng.uniform(-180, 180), 6)},
        },
    }


def _iso(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def generate(path: Path, count: int, *, seed: int = 7) -> Path:
    """Write `count` user RECORD lines with a STATE every STATE_EVERY records (and at the end)."""
    rng = random.Random(seed)
    head = b'{"type":"RECORD","record":{"stream":"users","emitted_at":%d,"data":' % EMITTED_AT
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb", buffering=1 << 22) as out:
        chunk: list[bytes] = []
        for n in range(1, count + 1):
            chunk.append(head + orjson.dumps(_user(rng, n)) + b"}}\n")
            if n % STATE_EVERY == 0 or n == count:
                state = {
                    "type": "STREAM",
                    "stream": {"stream_descriptor": {"name": "users"}, "stream_state": {"id": n}},
                }
                chunk.append(orjson.dumps({"type": "STATE", "state": state}) + b"\n")
                out.write(b"".join(chunk))
                chunk = []
    tmp.rename(path)
    return path


def messages_file(count: int) -> Path:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"messages-{count}.jsonl"
    if not path.exists():
        print(f"generating {count:,} records into {path} ...", file=sys.stderr, flush=True)
        generate(path, count)
    return path


@dataclass
class Result:
    count: int
    measurement: Measurement
    rows: int
    states: int
    cpu_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.measurement.seconds if self.measurement.seconds else 0.0

    @property
    def rows_per_cpu_second(self) -> float:
        """Throughput that other load on the machine does not distort (user + system time of the process)."""
        return self.rows / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def peak_rss_mib(self) -> float:
        return self.measurement.peak_rss_bytes / (1 << 20)


def run_write(count: int, *, python: str = sys.executable) -> Result:
    """One `write` of `count` records in a fresh process, into a new database."""
    messages = messages_file(count)
    run_dir = WORK_DIR / f"run-{count}"
    run_dir.mkdir(parents=True, exist_ok=True)
    database = run_dir / "bench.duckdb"
    for leftover in (database, database.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    config = run_dir / "config.json"
    config.write_text(json.dumps({"destination_path": str(database)}))
    catalog = run_dir / "catalog.json"
    catalog.write_text(json.dumps(CATALOG))
    args = [python, str(MAIN), "write", "--config", str(config), "--catalog", str(catalog)]
    # `exec` keeps one process: wait4's ru_maxrss is then the connector's own peak, not a shell's.
    command = ["sh", "-c", f"exec {shlex.join(args)} < {shlex.quote(str(messages))}"]
    before = _children_cpu()
    measurement = measure(command, stderr_path=run_dir / "stderr.log")
    cpu = _children_cpu() - before
    if measurement.exit_code != 0:
        raise RuntimeError(f"write exited with {measurement.exit_code}; see {run_dir / 'stderr.log'}")
    return Result(count, measurement, rows=_count_rows(database), states=measurement.lines, cpu_seconds=cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _count_rows(database: Path) -> int:
    import duckdb  # only the benchmark reads the result back

    connection = duckdb.connect(str(database), read_only=True)
    try:
        row = connection.execute('SELECT count(*) FROM "main"."users"').fetchone()
        return int(row[0]) if row else 0
    finally:
        connection.close()


def table(results: Sequence[Result]) -> str:
    lines = [
        f"{'records':>10}  {'rows landed':>11}  {'seconds':>8}  {'rows/s':>9}  {'CPU s':>7}  {'rows/CPU-s':>10}  "
        f"{'peak RSS MiB':>12}  {'out lines':>9}",
    ]
    for r in results:
        lines.append(
            f"{r.count:>10,}  {r.rows:>11,}  {r.measurement.seconds:>8.1f}  {r.rows_per_second:>9,.0f}  "
            f"{r.cpu_seconds:>7.1f}  {r.rows_per_cpu_second:>10,.0f}  {r.peak_rss_mib:>12.0f}  {r.states:>9,}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockyard_tools.bench.destination_duckdb", description=__doc__)
    parser.add_argument("--sizes", default="1000000,5000000", help="comma-separated record counts")
    parser.add_argument("--min-rows-per-second", type=float, default=100_000.0)
    parser.add_argument("--max-memory-growth", type=float, default=1.25, help="largest/smallest peak RSS allowed")
    args = parser.parse_args(list(argv) if argv is not None else None)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    results = []
    for count in sizes:
        results.append(run_write(count))
        print(table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(results))
    problems = [f"{r.count:,} records landed {r.rows:,} rows" for r in results if r.rows != r.count]
    problems += [
        f"{r.count:,} records: {r.rows_per_second:,.0f} rows/s is below {args.min_rows_per_second:,.0f}"
        for r in results
        if r.rows_per_second < args.min_rows_per_second
    ]
    peaks = [r.peak_rss_mib for r in results]
    if len(peaks) > 1 and max(peaks) > min(peaks) * args.max_memory_growth:
        problems.append(f"peak RSS grew from {min(peaks):.0f} to {max(peaks):.0f} MiB: memory is not flat")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
