"""Benchmark: wall time of `spec`, through the Python entrypoint and through the connector's Docker image.

`spec` is what a platform runs first and most often, and it should cost process startup and little else (the
runtime answers it without importing the CDK). Three medians over N runs each: `python main.py spec` in this
virtualenv, `docker run --rm --network none IMAGE spec`, and `docker run` of `/bin/true` in the same image, so the
container's own start-up cost is visible apart from the connector's.

    python -m dockyard_tools.bench.spec [--connector source-faker] [--runs 11] [--skip-docker]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.bench.common import measure


@dataclass
class Timing:
    label: str
    command: list[str]
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def time_command(label: str, command: list[str], runs: int, *, expect_lines: int | None) -> Timing:
    """Median-able wall times of `runs` runs of `command` (after one untimed warm-up run)."""
    seconds = []
    for attempt in range(runs + 1):
        result = measure(command)
        if result.exit_code != 0 or (expect_lines is not None and result.lines != expect_lines):
            raise SystemExit(f"{label}: exit {result.exit_code}, {result.lines} stdout lines: {' '.join(command)}")
        if attempt:  # the first run warms the page cache (and Docker's image layers)
            seconds.append(result.seconds)
    return Timing(label, command, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dockyard bench spec", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connector", default="source-faker")
    parser.add_argument("--runs", type=int, default=11, help="timed runs per command (median reported)")
    parser.add_argument("--skip-docker", action="store_true", help="only the Python entrypoint")
    args = parser.parse_args(argv)

    python_main = CONNECTORS_DIR / args.connector / "main.py"
    timings = [
        time_command("python main.py spec", [sys.executable, str(python_main), "spec"], args.runs, expect_lines=1)
    ]
    if not args.skip_docker:
        from dockyard_tools.images import ensure_image

        image = ensure_image(args.connector, log=lambda line: print(line, file=sys.stderr))
        docker = ["docker", "run", "--rm", "--network", "none"]
        timings.append(time_command("docker run IMAGE spec", [*docker, image, "spec"], args.runs, expect_lines=1))
        bare = [*docker, "--entrypoint", "/bin/true", image]
        timings.append(time_command("docker run /bin/true (overhead)", bare, args.runs, expect_lines=0))

    print(f"spec wall time, {args.connector}, median of {args.runs} runs:")
    for timing in timings:
        spread = f"min {min(timing.seconds) * 1000:.0f} / max {max(timing.seconds) * 1000:.0f} ms"
        print(f"  {timing.label:<34} {timing.median * 1000:7.0f} ms   ({spread})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
