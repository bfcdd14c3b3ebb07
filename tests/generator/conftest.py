"""Every template rendered once per session into a temporary directory, and the tools to check a rendering.

Rendered connectors are not installed: their folder goes on PYTHONPATH for subprocesses (pytest, mypy, `main.py`)
and on sys.path for in-process imports (a destination's reader hook), the way `python main.py` finds its package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from dockyard_tools import REPO_ROOT
from dockyard_tools.acceptance import destination_checks, source_checks, spec_checks
from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import load_config
from dockyard_tools.acceptance.config_fixtures import config_overlay
from dockyard_tools.acceptance.targets import build_target
from dockyard_tools.generate import Generated, generate, templates

TEMPLATES = sorted(templates())
# One name per template, as long as the generator allows, so that line lengths are tested at their worst.
NAMES = {
    "destination-python": "destination-gen-python-files-abcdefghijk",
    "destination-sql": "destination-gen-sqlalchemy-abcdefghijklm",
    "source-declarative": "source-gen-declarative-abcdefghijklmnopq",
    "source-python": "source-gen-python-abcdefghijklmnopqrstuv",
    "source-python-http": "source-gen-python-http-abcdefghijklmnopq",
}


@dataclass(frozen=True)
class Rendered:
    template: str
    generated: Generated
    root: Path  # holds connectors/ and docs/

    @property
    def path(self) -> Path:
        return self.generated.connector_dir

    @property
    def package(self) -> str:
        return self.generated.variables["package"]

    def run(self, *command: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        """A command with this connector importable, from the connector's folder (or `cwd`)."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(self.path), os.environ.get("PYTHONPATH", "")])}
        return subprocess.run(
            command, cwd=cwd or self.path, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )


@pytest.fixture(scope="session")
def rendered_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the repo's docs/SUMMARY.md (when there is one), so rendering edits a real index."""
    root = tmp_path_factory.mktemp("generated")
    (root / "docs").mkdir()
    summary = REPO_ROOT / "docs" / "SUMMARY.md"
    if summary.is_file():
        (root / "docs" / "SUMMARY.md").write_text(summary.read_text(encoding="utf-8"), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def rendered_all(rendered_root: Path) -> dict[str, Rendered]:
    """Every template, rendered under its name in NAMES."""
    assert set(NAMES) == set(TEMPLATES), "give every template a name in tests/generator/conftest.py NAMES"
    out: dict[str, Rendered] = {}
    for template in TEMPLATES:
        generated = generate(
            template, NAMES[template], output_dir=rendered_root / "connectors", docs_dir=rendered_root / "docs"
        )
        out[template] = Rendered(template, generated, rendered_root)
    return out


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every rendering: the CDK and the runtime are analysed once, not once per template."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(params=TEMPLATES)
def rendered(request: pytest.FixtureRequest, rendered_all: dict[str, Rendered]) -> Iterator[Rendered]:
    found = rendered_all[request.param]
    sys.path.insert(0, str(found.path))
    try:
        yield found
    finally:
        sys.path.remove(str(found.path))


# -- the acceptance suite, as tests/acceptance runs it (test_acceptance.py keeps the two in step) --------------
def _source_suite(target: Target) -> None:
    acceptance = target.acceptance
    spec_checks.check_spec(target)
    spec_checks.check_check(target)
    for path in acceptance.discovery:
        source_checks.check_discover(target, path)
    for entry in acceptance.basic_read:
        source_checks.check_basic_read(target, entry, source_checks.check_discover(target, entry.config_path))
    for entry in acceptance.full_refresh:
        source_checks.check_full_refresh(target, entry, source_checks.check_discover(target, entry.config_path))
    discovered = source_checks.check_discover(target, acceptance.basic_read[0].config_path)
    incremental = source_checks.incremental_entry(target, discovered)
    assert incremental is not None, "every source template offers an incremental stream"
    source_checks.check_incremental(target, incremental, discovered)
    source_checks.check_bad_catalog(target, acceptance.basic_read[0].config_path)


def _destination_suite(target: Target) -> None:
    spec_checks.check_spec(target)
    spec_checks.check_check(target)
    modes = destination_checks.supported_modes(target)
    assert {"append", "overwrite"} <= set(modes)
    for mode in modes:
        destination_checks.check_sync_mode(target, mode)
    destination_checks.check_state_echo(target)
    destination_checks.check_state_after_commit(target)
    destination_checks.check_refreshes(target)
    destination_checks.check_edge_values(target)
    destination_checks.check_edge_names(target)
    destination_checks.check_schema_evolution(target)
    destination_checks.check_malformed_input(target)


@pytest.fixture(scope="session")
def acceptance_suite() -> Callable[[Target], None]:
    """Every check of tests/acceptance for one target (a connector on a runner), in that suite's order."""

    def run(target: Target) -> None:
        (_source_suite if target.acceptance.kind == "source" else _destination_suite)(target)

    return run


@pytest.fixture(scope="session")
def acceptance_runs(
    rendered_all: dict[str, Rendered],
    tmp_path_factory: pytest.TempPathFactory,
    acceptance_suite: Callable[[Target], None],
) -> Iterator[dict[str, Future[None]]]:
    """The acceptance suite on every rendering's Python entrypoint, two at a time.

    Each run mostly waits on connector processes (a CDK source spends seconds starting), so running them side by
    side halves the wall time; a test takes its template's result and re-raises its failure.
    """

    def run(rendered: Rendered) -> None:
        workdir = tmp_path_factory.mktemp(f"acceptance-{rendered.template}")
        acceptance = load_config(rendered.path)
        with config_overlay(acceptance) as overlay:  # the HTTP templates' fake API (config_fixture: fake_api)
            acceptance_suite(build_target(acceptance, "python", workdir, overlay=overlay))

    slowest_first = sorted(rendered_all, key=lambda t: t not in ("source-python-http", "source-declarative"))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="acceptance") as pool:
        runs = {template: pool.submit(run, rendered_all[template]) for template in slowest_first}
        yield runs
