"""Benchmark: an end-to-end local sync, source-postgres -> destination-postgres, through `dockyard sync`.

One throwaway cluster holds both sides: the source table (the mixed-type table of the source-postgres benchmark)
in one database, the destination in another. The sync is the toolkit's own (`run_sync`: two processes, the
state file from echoed states), so the figure is what a user sees, process start-up and discovery included.

    python -m dockyard_tools.bench.sync_postgres [--rows N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from dockyard_tools import REPO_ROOT
from dockyard_tools.bench.common import write_json
from dockyard_tools.bench.source_postgres import load_table
from dockyard_tools.sync import run_sync
from dockyard_tools.testing.postgres import PostgresCluster

WORK_DIR = REPO_ROOT / ".build" / "bench" / "sync-postgres"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockyard_tools.bench.sync_postgres", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(list(argv or []))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    cluster = PostgresCluster(settings={"shared_buffers": "512MB", "work_mem": "64MB"})
    cluster.start()
    try:
        source_db = cluster.create_database("bench_source")
        destination_db = cluster.create_database("bench_destination")
        print(f"loading {args.rows:,} rows ...", file=sys.stderr, flush=True)
        load_table(cluster, source_db, "bench_1", args.rows)
        state = WORK_DIR / "state.json"
        state.unlink(missing_ok=True)
        started = time.monotonic()
        result = run_sync(
            "source-postgres",
            "destination-postgres",
            source_config=write_json(WORK_DIR / "source.json", {**cluster.config(source_db), "schemas": ["public"]}),
            destination_config=write_json(WORK_DIR / "destination.json", cluster.config(destination_db)),
            state_path=state,
        )
        seconds = time.monotonic() - started
        landed = cluster.psql("SELECT count(*) FROM public.bench_1", database=destination_db).strip()
    finally:
        cluster.stop()
    print(f"{'sync':<44} {'records':>12} {'landed':>12} {'seconds':>9} {'records/s':>11}")
    print(
        f"{'source-postgres -> destination-postgres':<44} {result.total:>12,} {int(landed):>12,} "
        f"{seconds:>9.1f} {result.total / seconds:>11,.0f}"
    )
    return 0 if int(landed) == args.rows else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
