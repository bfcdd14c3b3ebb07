"""`dockyard`: the developer toolkit's command line (sync, demo, build, test, bench, generate)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dockyard_tools import REPO_ROOT
from dockyard_tools.connectors import UnknownConnectorError, connector_dir, connector_names

DEMO_DIR = REPO_ROOT / ".dockyard" / "demo"
BENCHES = {
    "source-faker": "dockyard_tools.bench.faker",
    "destination-duckdb": "dockyard_tools.bench.destination_duckdb",
    "destination-postgres": "dockyard_tools.bench.destination_postgres",
    "source-postgres": "dockyard_tools.bench.source_postgres",
    "sync-postgres": "dockyard_tools.bench.sync_postgres",
    "spec": "dockyard_tools.bench.spec",
}


def _fail(message: str, code: int = 2) -> int:
    print(f"dockyard: {message}", file=sys.stderr)
    return code


def cmd_sync(args: argparse.Namespace) -> int:
    from dockyard_tools.sync import SyncError, run_sync, stderr_progress

    try:
        connector_dir(args.source)
        connector_dir(args.destination)
        result = run_sync(
            args.source,
            args.destination,
            source_config=Path(args.source_config),
            destination_config=Path(args.destination_config),
            state_path=Path(args.state),
            catalog_path=Path(args.catalog) if args.catalog else None,
            streams=args.streams,
            on_progress=stderr_progress(),
        )
    except (SyncError, UnknownConnectorError) as exc:
        print(file=sys.stderr)
        return _fail(str(exc), 1)
    print(file=sys.stderr)
    rate = result.total / result.seconds if result.seconds else 0.0
    print(f"Synced {result.total:,} records in {result.seconds:.1f}s ({rate:,.0f} records/s).")
    for stream, count in sorted(result.records.items()):
        print(f"  {stream:<20} {count:>12,}")
    print(f"{result.states_saved} committed state(s) saved to {args.state}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sync source-faker into a DuckDB file, then show what landed."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    database = DEMO_DIR / "dockyard.duckdb"
    source_config = DEMO_DIR / "source-faker.json"
    destination_config = DEMO_DIR / "destination-duckdb.json"
    source_config.write_text(json.dumps({"count": args.count, "seed": 42, "records_per_slice": 1000}))
    destination_config.write_text(json.dumps({"destination_path": str(database)}))
    print(f"Syncing source-faker ({args.count:,} users) into {database.relative_to(REPO_ROOT)} ...")
    code = cmd_sync(
        argparse.Namespace(
            source="source-faker",
            destination="destination-duckdb",
            source_config=source_config,
            destination_config=destination_config,
            state=DEMO_DIR / "state.json",
            catalog=None,
            streams=None,
        )
    )
    if code:
        return code
    from destination_duckdb.client import connect

    connection = connect(str(database))
    try:
        print("\nWhat landed (schema main):")
        for (table,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name NOT LIKE '\\_airbyte%' ESCAPE '\\' ORDER BY 1"
        ).fetchall():
            count = connection.execute(f'SELECT count(*) FROM main."{table}"').fetchone()
            print(f"  {table:<12} {count[0] if count else 0:>10,} rows")
        print("\nA few users:")
        rows = connection.execute(
            "SELECT id, name, email, age, updated_at FROM main.users ORDER BY id LIMIT 3"
        ).fetchall()
        for row in rows:
            print("  ", row)
    finally:
        connection.close()
    print("\nRun `make demo` again: the sync resumes from the saved state (incremental).")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from dockyard_tools.images import ImageError, build_images

    names = args.connectors or None
    try:
        for name in names or []:
            connector_dir(name)
        built = build_images(names, log=lambda line: print(line, file=sys.stderr))
    except UnknownConnectorError as exc:
        return _fail(str(exc))
    except ImageError as exc:
        return _fail(str(exc), 1)
    for tag in built:
        print(tag)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from dockyard_tools.acceptance import run_acceptance

    try:
        connector_dir(args.connector)
    except UnknownConnectorError as exc:
        return _fail(str(exc))
    return run_acceptance(args.connector, image=args.image)


def cmd_bench(args: argparse.Namespace) -> int:
    targets = [args.target] if args.target else list(BENCHES)
    for target in targets:
        module = BENCHES.get(target)
        if module is None:
            return _fail(f"Unknown benchmark '{target}' (expected one of: {', '.join(BENCHES)}).")
        print(f"\n=== bench {target} ===", flush=True)
        code = int(importlib.import_module(module).main(args.bench_args) or 0)
        if code:
            return code
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockyard", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sync", help="run SOURCE read | DESTINATION write locally, keeping state in a file")
    s.add_argument("source")
    s.add_argument("destination")
    s.add_argument("--source-config", required=True)
    s.add_argument("--destination-config", required=True)
    s.add_argument("--state", default=".dockyard/state.json", help="state file (read and updated)")
    s.add_argument("--catalog", help="configured catalog (default: discover, all streams)")
    s.add_argument("--streams", nargs="*", help="only these streams (with the default catalog)")
    s.set_defaults(func=cmd_sync)

    d = sub.add_parser("demo", help="sync source-faker into a local DuckDB file and show what landed")
    d.add_argument("--count", type=int, default=10_000)
    d.set_defaults(func=cmd_demo)

    b = sub.add_parser("build", help="build connector Docker images (all by default)")
    b.add_argument("connectors", nargs="*", metavar="CONNECTOR")
    b.set_defaults(func=cmd_build)

    t = sub.add_parser("test", help="run the acceptance suite for one connector")
    t.add_argument("connector")
    t.add_argument("--image", action="store_true", help="drive the Docker image instead of the Python entrypoint")
    t.set_defaults(func=cmd_test)

    n = sub.add_parser("bench", help=f"benchmarks: {', '.join(BENCHES)} (all by default)")
    n.add_argument("target", nargs="?")
    n.add_argument("bench_args", nargs=argparse.REMAINDER)
    n.set_defaults(func=cmd_bench)

    sub.add_parser("generate", help="scaffold a new connector from a template (flags: dockyard generate --help)")

    sub.add_parser("list", help="list connectors").set_defaults(func=lambda _a: print("\n".join(connector_names())))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["generate"]:  # the generator owns its flags (argparse REMAINDER would not pass them on)
        from dockyard_tools.generate import main as generate_main

        return int(generate_main(argv[1:]))
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
