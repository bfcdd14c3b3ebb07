"""Benchmark: Dockyard's destination-postgres against `psql \\copy` (the limit), MeltanoLabs' target-postgres and
dlt's postgres destination, side by side in one run on one throwaway PostgreSQL cluster.

The same generated rows (id, name, email, amount, created_at, a small nested object) go to every loader, each into
a schema of its own: `psql \\copy` of them as CSV into a typed table; ours in append and append_dedup mode from a
protocol messages.jsonl on stdin (a STATE every 10,000 records); `meltanolabs-target-postgres` on the equivalent
Singer stream, append-only and upsert (COPY on, its fastest setting); dlt loading them from a Python iterator, append
and merge. Peers live in their own virtualenvs under .build/bench-venvs (installed on first use). Rows/s is rows
divided by the wall time of the whole process (startup and final commit included); peak RSS is the process's
kernel high-water mark, and the largest PSS of its process tree is reported too (dlt may fork workers).

On a machine shared with other jobs wall time mostly measures the competition, so each run also reports the CPU
it cost: the loader process's (from the kernel, children included) plus the PostgreSQL server's (every backend of
the cluster, read from /proc before and after), and rows per CPU second, which the other jobs do not change.

    python -m dockyard_tools.bench.destination_postgres [--records 1000000] [--peer-records 100000]
        [--big-records 5000000] [--skip-meltano] [--skip-dlt]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dockyard_tools import REPO_ROOT
from dockyard_tools.bench.common import Measurement, ensure_peer_venv, measure
from dockyard_tools.testing.postgres import PostgresCluster

WORK_DIR = REPO_ROOT / ".build" / "bench" / "destination-postgres"
MAIN = REPO_ROOT / "connectors" / "destination-postgres" / "main.py"
MELTANO_PACKAGE = "meltanolabs-target-postgres==0.8.1"
DLT_PACKAGE = "dlt[postgres]==1.31.0"
STATE_EVERY = 10_000
TARGETS = {"append vs \\copy": 0.5, "append_dedup vs \\copy": 1 / 3, "vs Meltano": 20.0, "vs dlt": 10.0}
RSS_LIMIT_MIB = 250
COLUMNS = ("id", "name", "email", "amount", "created_at", "attrs")
JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["null", "string"]},
        "email": {"type": ["null", "string"]},
        "amount": {"type": ["null", "number"]},
        "created_at": {"type": ["null", "string"], "format": "date-time"},
        "attrs": {"type": ["null", "object"]},
    },
}
COPY_DDL = (
    "CREATE SCHEMA copy; CREATE TABLE copy.bench (id bigint, name text, email text, amount numeric, "
    "created_at timestamptz, attrs jsonb)"
)


def row(n: int) -> dict[str, Any]:
    """Record number `n`; also pasted into dlt's script, so it uses nothing but the standard library."""
    import datetime

    created = datetime.datetime.fromtimestamp(1_600_000_000 + n * 17, tz=datetime.timezone.utc)
    return {
        "id": n,
        "name": f"User {n}",
        "email": f"user{n}@example.com",
        "amount": (n * 7919 % 1_000_000) / 100,
        "created_at": created.isoformat(),
        "attrs": {"tier": n % 5, "score": n % 100, "tags": ["a", "b"] if n % 2 else ["c"]},
    }


def _rows(count: int) -> Iterator[dict[str, Any]]:
    return (row(n) for n in range(1, count + 1))


def _write_lines(path: Path, lines: Iterator[bytes]) -> Path:
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        chunk: list[bytes] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 10_000:
                handle.write(b"".join(chunk))
                chunk.clear()
        handle.write(b"".join(chunk))
    partial.rename(path)
    return path


def _state(n: int) -> dict[str, Any]:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": "bench"}, "stream_state": {"id": n}}}


def airbyte_messages(count: int) -> Path:
    path = WORK_DIR / f"messages-{count}.jsonl"
    if not path.exists():

        def lines() -> Iterator[bytes]:
            for data in _rows(count):
                message = {
                    "type": "RECORD",
                    "record": {"stream": "bench", "data": data, "emitted_at": 1_700_000_000_000},
                }
                yield orjson.dumps(message) + b"\n"
                if data["id"] % STATE_EVERY == 0:
                    yield orjson.dumps({"type": "STATE", "state": _state(data["id"])}) + b"\n"
            yield orjson.dumps({"type": "STATE", "state": _state(count)}) + b"\n"

        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        _write_lines(path, lines())
    return path


def singer_messages(count: int) -> Path:
    path = WORK_DIR / f"singer-{count}.jsonl"
    if not path.exists():

        def lines() -> Iterator[bytes]:
            yield orjson.dumps({"type": "SCHEMA", "stream": "bench", "schema": JSON_SCHEMA, "key_properties": ["id"]})
            yield b"\n"
            for data in _rows(count):
                yield orjson.dumps({"type": "RECORD", "stream": "bench", "record": data}) + b"\n"
                if data["id"] % STATE_EVERY == 0:
                    yield orjson.dumps({"type": "STATE", "value": {"bench": data["id"]}}) + b"\n"

        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        _write_lines(path, lines())
    return path


def csv_rows(count: int) -> Path:
    path = WORK_DIR / f"rows-{count}.csv"
    if not path.exists():

        def lines() -> Iterator[bytes]:
            for data in _rows(count):
                attrs = orjson.dumps(data["attrs"]).decode().replace('"', '""')
                yield (
                    f'{data["id"]},"{data["name"]}","{data["email"]}",{data["amount"]},{data["created_at"]},"{attrs}"\n'
                ).encode()

        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        _write_lines(path, lines())
    return path


@dataclass
class Scenario:
    implementation: str
    mode: str
    records: int
    command: list[str]
    env: dict[str, str] | None = None
    result: Measurement | None = None
    error: str | None = None
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.records / self.result.seconds if self.result and self.result.seconds else 0.0

    @property
    def rows_per_cpu_second(self) -> float:
        cpu = self.client_cpu + self.server_cpu
        return self.records / cpu if cpu else 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu(cluster: PostgresCluster) -> float:
    """CPU seconds used so far by the cluster: the postmaster, its live children and those it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0

    def fields(pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    own = fields(postmaster)
    if not own:
        return 0.0
    total = sum(int(v) for v in own[11:15])  # utime, stime, cutime, cstime
    try:
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        stat = fields(int(child))
        if stat:
            total += int(stat[11]) + int(stat[12])
    return total / ticks


def _write_json(name: str, value: Any) -> Path:
    path = WORK_DIR / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _stdin_from(path: Path, command: list[str]) -> list[str]:
    """Run `command` with stdin from `path`; `exec` keeps the measured process the loader itself."""
    return ["sh", "-c", 'exec "$@" < "$0"', str(path), *command]


def _ours(cluster: PostgresCluster, database: str, mode: str, count: int) -> list[str]:
    config = {**cluster.config(database), "schema": f"dy_{mode}_{count}", "ssl_mode": "disable"}
    entry = {
        "stream": {"name": "bench", "json_schema": JSON_SCHEMA, "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "primary_key": [["id"]],
        "cursor_field": ["created_at"],
        "generation_id": 1,
        "minimum_generation_id": 0,
        "sync_id": 1,
    }
    config_path = _write_json(f"ours-{mode}-{count}-config.json", config)
    catalog_path = _write_json(f"ours-{mode}-{count}-catalog.json", {"streams": [entry]})
    command = [sys.executable, str(MAIN), "write", "--config", str(config_path), "--catalog", str(catalog_path)]
    return _stdin_from(airbyte_messages(count), command)


def _meltano(cluster: PostgresCluster, database: str, method: str, count: int) -> list[str]:
    executable = ensure_peer_venv("meltanolabs-target-postgres", MELTANO_PACKAGE, "target-postgres")
    config = {
        "host": cluster.host,
        "port": cluster.port,
        "user": cluster.user,
        "password": cluster.password,
        "database": database,
        "default_target_schema": f"meltano_{method.replace('-', '_')}",
        "load_method": method,
        "use_copy": True,
        "add_record_metadata": False,
        "activate_version": False,
    }
    config_path = _write_json(f"meltano-{method}-config.json", config)
    return _stdin_from(singer_messages(count), [str(executable), "--config", str(config_path)])


DLT_SCRIPT = """
import sys
from typing import Any

import dlt

{row}

mode, count, url, dataset, pipelines_dir = sys.argv[1:]
pipeline = dlt.pipeline(
    pipeline_name="bench_" + mode,
    destination=dlt.destinations.postgres(credentials=url),
    dataset_name=dataset,
    pipelines_dir=pipelines_dir,
)
options = {{"write_disposition": "append"}}
if mode == "merge":
    options = {{"write_disposition": "merge", "primary_key": "id"}}
info = pipeline.run((row(n) for n in range(1, int(count) + 1)), table_name="bench", **options)
print(info, file=sys.stderr)
"""


def _dlt(cluster: PostgresCluster, database: str, mode: str, count: int) -> tuple[list[str], dict[str, str]]:
    python = ensure_peer_venv("dlt", DLT_PACKAGE, "python")
    script = WORK_DIR / "dlt_load.py"
    script.write_text(DLT_SCRIPT.format(row=inspect.getsource(row)), encoding="utf-8")
    pipelines = WORK_DIR / "dlt-pipelines"
    command = [str(python), str(script), mode, str(count), cluster.url(database), f"dlt_{mode}", str(pipelines)]
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "DLT_DATA_DIR": str(WORK_DIR / "dlt-data")}
    return command, env


def _copy(cluster: PostgresCluster, database: str, count: int) -> tuple[list[str], dict[str, str]]:
    assert cluster.bin_dir is not None
    command = [str(cluster.bin_dir / "psql"), "-X", "-h", cluster.host, "-p", str(cluster.port), "-U", cluster.user]
    copy = f"\\copy copy.bench ({', '.join(COLUMNS)}) FROM '{csv_rows(count)}' WITH (FORMAT csv)"
    return [*command, "-d", database, "-c", copy], {**os.environ, "PGPASSWORD": cluster.password}


def _mib(value: int) -> str:
    return f"{value / (1 << 20):,.0f}"


def _speed(runs: Sequence[Scenario], prefix: str, mode: str, *, per_cpu: bool = False) -> float:
    for run in runs:
        if run.implementation.startswith(prefix) and run.mode == mode and run.result and not run.error:
            return run.rows_per_cpu_second if per_cpu else run.rows_per_second
    return 0.0


def report(runs: Sequence[Scenario]) -> str:
    header = (
        "implementation",
        "mode",
        "records",
        "seconds",
        "rows/s",
        "CPU s (client+server)",
        "rows/CPU s",
        "peak RSS MiB",
        "tree PSS MiB",
        "vs \\copy",
    )
    copy_speed = _speed(runs, "psql", "append")
    table: list[tuple[str, ...]] = [header]
    for run in runs:
        m = run.result
        if m is None or run.error:
            table.append((run.implementation, run.mode, f"{run.records:,}", *["-"] * 6, run.error or "-"))
            continue
        share = f"{run.rows_per_second / copy_speed:.2f}" if copy_speed else "-"
        table.append(
            (
                run.implementation,
                run.mode,
                f"{run.records:,}",
                f"{m.seconds:,.1f}",
                f"{run.rows_per_second:,.0f}",
                f"{run.client_cpu:,.1f}+{run.server_cpu:,.1f}",
                f"{run.rows_per_cpu_second:,.0f}",
                _mib(m.peak_rss_bytes),
                _mib(m.peak_tree_pss_bytes),
                share,
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    checks = [
        ("append / \\copy", ("dockyard", "append"), ("psql", "append"), TARGETS["append vs \\copy"]),
        ("append_dedup / \\copy", ("dockyard", "append_dedup"), ("psql", "append"), TARGETS["append_dedup vs \\copy"]),
        ("append / Meltano append-only", ("dockyard", "append"), ("meltano", "append-only"), TARGETS["vs Meltano"]),
        ("append_dedup / Meltano upsert", ("dockyard", "append_dedup"), ("meltano", "upsert"), TARGETS["vs Meltano"]),
        ("append / dlt append", ("dockyard", "append"), ("dlt", "append"), TARGETS["vs dlt"]),
        ("append_dedup / dlt merge", ("dockyard", "append_dedup"), ("dlt", "merge"), TARGETS["vs dlt"]),
    ]
    lines.append("")
    for label, ours, theirs, target in checks:
        wall = [_speed(runs, *ours), _speed(runs, *theirs)]
        cpu = [_speed(runs, *ours, per_cpu=True), _speed(runs, *theirs, per_cpu=True)]
        if all(wall) and all(cpu):
            by_wall, by_cpu = wall[0] / wall[1], cpu[0] / cpu[1]
            verdict = "met" if by_wall >= target else "NOT met"
            lines.append(
                f"{label}: {by_wall:,.2f}x rows/s (target >= {target:.2f}x: {verdict}), {by_cpu:,.2f}x per CPU s"
            )
    peaks = [r.result.peak_rss_bytes for r in runs if r.implementation.startswith("dockyard") and r.result]
    if peaks:
        peak = max(peaks) / (1 << 20)
        verdict = "met" if peak < RSS_LIMIT_MIB else "NOT met"
        lines.append(f"dockyard peak RSS: {peak:,.0f} MiB (target < {RSS_LIMIT_MIB} MiB: {verdict})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dockyard_tools.bench.destination_postgres", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="records for \\copy and ours")
    parser.add_argument(
        "--peer-records",
        type=int,
        default=100_000,
        help="records for Meltano and dlt (they load a few thousand rows/s: a million would take each 6-10 minutes)",
    )
    parser.add_argument("--big-records", type=int, default=0, help="also run ours (append) on this many (RSS flatness)")
    parser.add_argument("--skip-meltano", action="store_true", help="do not run meltanolabs-target-postgres")
    parser.add_argument("--skip-dlt", action="store_true", help="do not run dlt")
    args = parser.parse_args(list(argv or []))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    count, peers = args.records, args.peer_records
    cluster = PostgresCluster(settings={"shared_buffers": "512MB", "work_mem": "64MB", "max_wal_size": "4GB"})
    cluster.start()
    runs: list[Scenario] = []
    landed: dict[str, int] = {}
    try:
        database = cluster.create_database("bench")
        cluster.psql(COPY_DDL, database)
        copy_command, copy_env = _copy(cluster, database, count)
        runs.append(Scenario("psql \\copy (CSV)", "append", count, copy_command, copy_env))
        runs += [
            Scenario("dockyard destination-postgres", m, count, _ours(cluster, database, m, count))
            for m in ("append", "append_dedup")
        ]
        if args.big_records:
            runs.append(
                Scenario(
                    "dockyard destination-postgres",
                    "append",
                    args.big_records,
                    _ours(cluster, database, "append", args.big_records),
                )
            )
        if not args.skip_meltano:
            for method in ("append-only", "upsert"):
                try:
                    runs.append(
                        Scenario(
                            f"meltanolabs-target-postgres {MELTANO_PACKAGE.split('==')[1]}",
                            method,
                            peers,
                            _meltano(cluster, database, method, peers),
                        )
                    )
                except subprocess.CalledProcessError as exc:
                    runs.append(
                        Scenario("meltanolabs-target-postgres", method, peers, [], error=f"install failed: {exc}")
                    )
        if not args.skip_dlt:
            for mode in ("append", "merge"):
                try:
                    command, env = _dlt(cluster, database, mode, peers)
                    runs.append(Scenario(f"dlt {DLT_PACKAGE.split('==')[1]} (postgres)", mode, peers, command, env))
                except subprocess.CalledProcessError as exc:
                    runs.append(Scenario("dlt (postgres)", mode, peers, [], error=f"install failed: {exc}"))
        for index, run in enumerate(runs):
            if run.error:
                continue
            print(
                f"[{index + 1}/{len(runs)}] {run.implementation} {run.mode} {run.records:,} ...",
                file=sys.stderr,
                flush=True,
            )
            stderr_path = WORK_DIR / f"run-{index + 1}.stderr"
            client_before, server_before = _children_cpu(), server_cpu(cluster)
            run.result = measure(run.command, env=run.env, stderr_path=stderr_path)
            run.client_cpu = _children_cpu() - client_before
            run.server_cpu = server_cpu(cluster) - server_before
            if run.result.exit_code != 0:
                run.error = f"exit code {run.result.exit_code} (stderr: {stderr_path})"
                print(run.error, file=sys.stderr, flush=True)
        for run in runs:
            if run.implementation.startswith("dockyard") and not run.error:
                schema = f"dy_{run.mode}_{run.records}"
                landed[schema] = int(cluster.psql(f"SELECT count(*) FROM {schema}.bench", database) or 0)
        landed["copy"] = int(cluster.psql("SELECT count(*) FROM copy.bench", database) or 0)
    finally:
        cluster.stop()
    print(report(runs))
    print(f"rows landed: {landed}")
    results = [
        {
            "implementation": r.implementation,
            "mode": r.mode,
            "records": r.records,
            "error": r.error,
            **(vars(r.result) if r.result else {}),
        }
        for r in runs
    ]
    (WORK_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 1 if any(r.error for r in runs if r.implementation.startswith(("dockyard", "psql"))) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
