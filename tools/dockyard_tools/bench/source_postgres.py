"""Benchmark: Dockyard's source-postgres against `psql \\copy` (the limit) and MeltanoLabs' tap-postgres, in one run.

A throwaway PostgreSQL cluster gets one table of mixed types (integers, numeric, double, boolean, text, varchar,
timestamp, timestamptz, date, uuid, jsonb, int[]), loaded server-side. Each reader then reads the whole table
into a counting sink: `psql -c "\\copy (SELECT * FROM t) TO STDOUT"` (text COPY, no JSON at all), our full
refresh, and the Singer SDK's `meltanolabs-tap-postgres` (installed into its own virtualenv under
.build/bench-venvs on first use). Rows/s is end to end, process startup included. Optionally ours reads a second,
larger table to show its memory stays flat.

    python -m dockyard_tools.bench.source_postgres [--rows N] [--meltano-rows N] [--big-rows N] [--skip-meltano]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard_tools import REPO_ROOT
from dockyard_tools.bench.common import Measurement, ensure_peer_venv, measure, write_json
from dockyard_tools.testing.postgres import PostgresCluster

MELTANO_PACKAGE = "meltanolabs-tap-postgres==0.10.0"
MELTANO_VENV = REPO_ROOT / ".build" / "bench-venvs" / "meltanolabs-tap-postgres"
WORK_DIR = REPO_ROOT / ".build" / "bench" / "source-postgres"
TARGETS = {"rows/s vs \\copy": 1 / 3, "rows/s vs Meltano": 5.0, "peak RSS MiB": 200.0}

TABLE_DDL = """
CREATE TABLE {name} (
  id bigint PRIMARY KEY, n_int integer, n_big bigint, amount numeric(12, 2), ratio double precision,
  active boolean, label text, code varchar(16), created_at timestamp, updated_at timestamptz, day date,
  ref uuid, attrs jsonb, scores integer[]
)
"""
LOAD_SQL = """
INSERT INTO {name}
SELECT g, (g * 7919) % 100000, g * 1000003, ((g % 100000) / 100.0)::numeric(12, 2), g / 3.0, g % 3 = 0,
       'customer number ' || g || ' with a longer text value', 'C' || (g % 9999),
       '2020-01-01'::timestamp + g * interval '1 second',
       '2021-06-01 00:00:00+00'::timestamptz + g * interval '1 minute',
       '2000-01-01'::date + (g % 9000)::int, md5(g::text)::uuid,
       jsonb_build_object('k', g % 10, 'tag', 't' || (g % 100)), ARRAY[g % 10, g % 100, g % 1000]::int[]
FROM generate_series({start}::bigint, {stop}) g
"""


@dataclass
class Scenario:
    implementation: str
    table: str
    rows: int
    command: list[str]
    env: dict[str, str] | None = None
    result: Measurement | None = None


def load_table(cluster: PostgresCluster, database: str, name: str, rows: int) -> None:
    """Create and fill `name` server-side in chunks (bounded transaction size), then VACUUM ANALYZE it."""
    cluster.psql(TABLE_DDL.format(name=name), database=database)
    chunk = 1_000_000
    for start in range(1, rows + 1, chunk):
        stop = min(rows, start + chunk - 1)
        cluster.psql(LOAD_SQL.format(name=name, start=start, stop=stop), database=database)
    cluster.psql(f"VACUUM ANALYZE {name}", database=database)


def _ours(cluster: PostgresCluster, database: str, table: str) -> list[str]:
    config = {**cluster.config(database), "schemas": ["public"]}
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": table,
                    "namespace": "public",
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
        ]
    }
    config_path = write_json(WORK_DIR / "ours-config.json", config)
    catalog_path = write_json(WORK_DIR / f"ours-catalog-{table}.json", catalog)
    runner = "from source_postgres.run import run; run()"
    return [sys.executable, "-c", runner, "read", "--config", str(config_path), "--catalog", str(catalog_path)]


def _meltano(cluster: PostgresCluster, database: str, table: str) -> list[str]:
    executable = ensure_peer_venv(MELTANO_VENV.name, MELTANO_PACKAGE, "tap-postgres")
    config = {
        "host": cluster.host,
        "port": cluster.port,
        "user": cluster.user,
        "password": cluster.password,
        "database": database,
        "filter_schemas": ["public"],
    }
    config_path = write_json(WORK_DIR / "meltano-config.json", config)
    discovered = subprocess.run(
        [str(executable), "--config", str(config_path), "--discover"], capture_output=True, check=True
    )
    catalog = json.loads(discovered.stdout)
    streams = [s for s in catalog["streams"] if s.get("table_name", s["stream"]).endswith(table)]
    for stream in streams:
        for entry in stream.get("metadata", []):
            entry["metadata"]["selected"] = True
    catalog["streams"] = streams
    catalog_path = write_json(WORK_DIR / "meltano-catalog.json", catalog)
    return [str(executable), "--config", str(config_path), "--catalog", str(catalog_path)]


def _copy(cluster: PostgresCluster, database: str, table: str) -> tuple[list[str], dict[str, str]]:
    assert cluster.bin_dir is not None
    command = [str(cluster.bin_dir / "psql"), "-X", "-h", cluster.host, "-p", str(cluster.port), "-U", cluster.user]
    command += ["-d", database, "-c", f"\\copy (SELECT * FROM {table}) TO STDOUT"]
    return command, {**os.environ, "PGPASSWORD": cluster.password}


def _mib(value: int) -> str:
    return f"{value / (1 << 20):,.0f}"


def table(runs: Sequence[Scenario]) -> str:
    header = ("implementation", "table", "rows", "seconds", "rows/s", "peak RSS MiB", "vs \\copy")
    copy_speed = {
        r.table: r.result.records_per_second for r in runs if r.implementation.startswith("psql") and r.result
    }
    rows = [header]
    for run in runs:
        m = run.result
        assert m is not None
        limit = copy_speed.get(run.table)
        rows.append(
            (
                run.implementation,
                run.table,
                f"{run.rows:,}",
                f"{m.seconds:,.1f}",
                f"{m.records_per_second:,.0f}",
                _mib(m.peak_rss_bytes),
                f"{m.records_per_second / limit:.2f}" if limit else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ours = next((r for r in runs if r.implementation.startswith("dockyard") and r.table == "bench_1"), None)
    meltano = next((r for r in runs if r.implementation.startswith("meltano")), None)
    if ours and meltano and ours.result and meltano.result:
        speedup = ours.result.records_per_second / max(meltano.result.records_per_second, 1e-9)
        lines.append(f"speed-up over meltanolabs-tap-postgres: {speedup:,.1f}x rows/s (target >= 5x)")
    if ours and ours.result and copy_speed.get("bench_1"):
        share = ours.result.records_per_second / copy_speed["bench_1"]
        lines.append(f"share of \\copy rows/s: {share:.2f} (target >= 0.33)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dockyard_tools.bench.source_postgres", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the main table")
    parser.add_argument("--meltano-rows", type=int, help="rows Meltano's tap reads (default: --rows)")
    parser.add_argument("--big-rows", type=int, default=0, help="also read a table this big with ours (RSS flatness)")
    parser.add_argument("--skip-meltano", action="store_true", help="do not run meltanolabs-tap-postgres")
    args = parser.parse_args(list(argv or []))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    cluster = PostgresCluster(settings={"shared_buffers": "512MB", "work_mem": "64MB"})
    cluster.start()
    try:
        database = cluster.create_database("bench")
        print(f"loading {args.rows:,} rows ...", file=sys.stderr, flush=True)
        load_table(cluster, database, "bench_1", args.rows)
        copy_command, copy_env = _copy(cluster, database, "bench_1")
        runs = [
            Scenario("psql \\copy (text)", "bench_1", args.rows, copy_command, copy_env),
            Scenario("dockyard source-postgres", "bench_1", args.rows, _ours(cluster, database, "bench_1")),
        ]
        if not args.skip_meltano:
            meltano_rows = args.meltano_rows or args.rows
            meltano_table = "bench_1"
            if meltano_rows != args.rows:
                meltano_table = "bench_meltano"
                load_table(cluster, database, meltano_table, meltano_rows)
            command = _meltano(cluster, database, meltano_table)
            runs.append(Scenario("meltanolabs-tap-postgres 0.10.0", meltano_table, meltano_rows, command))
        if args.big_rows:
            print(f"loading {args.big_rows:,} rows ...", file=sys.stderr, flush=True)
            load_table(cluster, database, "bench_big", args.big_rows)
            runs.append(
                Scenario("dockyard source-postgres", "bench_big", args.big_rows, _ours(cluster, database, "bench_big"))
            )
        for index, run in enumerate(runs):
            print(f"[{index + 1}/{len(runs)}] {run.implementation} on {run.table} ...", file=sys.stderr, flush=True)
            stderr_path = WORK_DIR / f"run-{index + 1}.stderr"
            run.result = measure(run.command, env=run.env, stderr_path=stderr_path)
            if run.implementation.startswith("psql"):
                run.result.records = run.result.lines  # one text COPY line per row
            if run.result.exit_code != 0:
                print(f"failed with exit code {run.result.exit_code}; stderr in {stderr_path}", file=sys.stderr)
                return 1
            if run.result.records != run.rows:
                print(
                    f"warning: {run.implementation} emitted {run.result.records:,} of {run.rows:,} rows",
                    file=sys.stderr,
                )
    finally:
        cluster.stop()
    report = table(runs)
    print(report)
    results = [{"implementation": r.implementation, "table": r.table, "rows": r.rows, **vars(r.result)} for r in runs]
    (WORK_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
