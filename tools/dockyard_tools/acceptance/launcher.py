"""`dockyard test <connector> [--image]`: the acceptance suite and the peer suite for one connector."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from dockyard_tools import REPO_ROOT

SUITES = ("tests/acceptance/test_source.py", "tests/acceptance/test_destination.py", "tests/peer")


def pytest_command(connector: str, *, image: bool, extra: Sequence[str] = ()) -> list[str]:
    """The pytest command line: both suites, this connector only, one runner.

    Without `image` the Python entrypoint runs (the fast dev loop); with it the Docker image (tests marked
    `docker` in our suite, `image_tests` in the CDK's).
    """
    marker = "docker or image_tests" if image else "not docker and not image_tests"
    return [sys.executable, "-m", "pytest", *SUITES, "--connector", connector, "-m", marker, *extra]


def run_acceptance(connector: str, *, image: bool, update_golden: bool = False, extra: Sequence[str] = ()) -> int:
    """Run the suites for `connector` from the repo root and return pytest's exit code.

    `update_golden` rewrites the connector's expected_records.jsonl from a Python-entrypoint read before
    comparing (review the diff before committing it).
    """
    env = dict(os.environ)
    if update_golden:
        env["DOCKYARD_UPDATE_GOLDEN"] = "1"
    return subprocess.run(pytest_command(connector, image=image, extra=extra), cwd=REPO_ROOT, env=env).returncode
