"""Benchmark: Dockyard's source-faker against Airbyte's `airbyte-source-faker` (PyPI), in one run.

Four reads, each a full refresh to a counting sink: users only, then all three streams, for each source, with
the same count and seed. Airbyte's faker is installed into its own virtualenv under .build/bench-venvs on first
use; it runs with `parallelism` equal to the CPU count, the setting its spec recommends, while ours runs in one
process. Records/s is end to end: records divided by the wall time of the whole process, startup included.

    python -m dockyard_tools.bench.faker [--count N] [--airbyte-count N] [--skip-airbyte]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dockyard_tools import REPO_ROOT
from dockyard_tools.bench.common import Measurement, ensure_peer_venv, measure, write_json

AIRBYTE_PACKAGE = "airbyte-source-faker==7.2.1"
AIRBYTE_VENV = REPO_ROOT / ".build" / "bench-venvs" / "airbyte-source-faker"
WORK_DIR = REPO_ROOT / ".build" / "bench" / "faker"
OURS_MAIN = REPO_ROOT / "connectors" / "source-faker" / "main.py"
ALL_STREAMS = ("users", "products", "purchases")


@dataclass
class Scenario:
    implementation: str
    streams: tuple[str, ...]
    count: int
    command: list[str]
    result: Measurement | None = None


def _catalog(streams: Sequence[str]) -> dict[str, Any]:
    """A full-refresh catalog; both sources take the stream definitions from their own code, not from here."""
    return {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for name in streams
        ]
    }


def scenarios(count: int, airbyte_count: int | None, seed: int, per_slice: int) -> list[Scenario]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    catalogs = {
        streams: write_json(WORK_DIR / f"catalog-{'-'.join(streams)}.json", _catalog(streams))
        for streams in (("users",), ALL_STREAMS)
    }
    ours_config = write_json(
        WORK_DIR / "ours-config.json", {"count": count, "seed": seed, "records_per_slice": per_slice}
    )
    planned = [
        Scenario(
            "dockyard source-faker",
            streams,
            count,
            [sys.executable, str(OURS_MAIN), "read", "--config", str(ours_config), "--catalog", str(catalog)],
        )
        for streams, catalog in catalogs.items()
    ]
    if airbyte_count is None:
        return planned
    executable = ensure_peer_venv(AIRBYTE_VENV.name, AIRBYTE_PACKAGE, "source-faker")
    parallelism = os.cpu_count() or 1
    airbyte_config = write_json(
        WORK_DIR / "airbyte-config.json",
        {"count": airbyte_count, "seed": seed, "records_per_slice": per_slice, "parallelism": parallelism},
    )
    planned += [
        Scenario(
            f"airbyte-source-faker 7.2.1 (parallelism {parallelism})",
            streams,
            airbyte_count,
            [str(executable), "read", "--config", str(airbyte_config), "--catalog", str(catalog)],
        )
        for streams, catalog in catalogs.items()
    ]
    return planned


def _mib(value: int) -> str:
    return f"{value / (1 << 20):,.0f}"


def table(runs: Sequence[Scenario]) -> str:
    """Side by side, with our speed-up over Airbyte's for the same streams."""
    header = (
        "implementation",
        "streams",
        "count",
        "records",
        "seconds",
        "records/s",
        "CPU s",
        "records/CPU s",
        "peak RSS MiB",
        "tree PSS MiB",
    )
    rows = [header]
    for run in runs:
        m = run.result
        assert m is not None
        rows.append(
            (
                run.implementation,
                "+".join(run.streams),
                f"{run.count:,}",
                f"{m.records:,}",
                f"{m.seconds:,.1f}",
                f"{m.records_per_second:,.0f}",
                f"{m.cpu_seconds:,.1f}",
                f"{m.records_per_cpu_second:,.0f}",
                _mib(m.peak_rss_bytes),
                _mib(m.peak_tree_pss_bytes),
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
    ours = {r.streams: r for r in runs if r.implementation.startswith("dockyard")}
    for run in runs:
        mine = ours.get(run.streams)
        if run.implementation.startswith("dockyard") or mine is None or not run.result or not mine.result:
            continue
        speedup = mine.result.records_per_second / max(run.result.records_per_second, 1e-9)
        per_cpu = mine.result.records_per_cpu_second / max(run.result.records_per_cpu_second, 1e-9)
        lines.append(
            f"speed-up on {'+'.join(run.streams)}: {speedup:,.1f}x records/s, {per_cpu:,.1f}x records per CPU second"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockyard_tools.bench.faker", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="users (and purchases) to generate")
    parser.add_argument("--airbyte-count", type=int, help="count for Airbyte's faker (default: --count)")
    parser.add_argument("--skip-airbyte", action="store_true", help="measure only Dockyard's source-faker")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--records-per-slice", type=int, default=1000)
    args = parser.parse_args(list(argv or []))
    airbyte_count = None if args.skip_airbyte else (args.airbyte_count or args.count)
    runs = scenarios(args.count, airbyte_count, args.seed, args.records_per_slice)
    for index, run in enumerate(runs):
        print(f"[{index + 1}/{len(runs)}] {run.implementation}: {'+'.join(run.streams)} at count {run.count:,} ...",
              file=sys.stderr, flush=True)  # fmt: skip
        stderr_path = WORK_DIR / f"run-{index + 1}.stderr"
        run.result = measure(run.command, stderr_path=stderr_path)
        if run.result.exit_code != 0:
            print(f"failed with exit code {run.result.exit_code}; stderr in {stderr_path}", file=sys.stderr)
            return 1
    report = table(runs)
    print(report)
    results = [
        {"implementation": r.implementation, "streams": r.streams, "count": r.count, **vars(r.result)} for r in runs
    ]
    (WORK_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
