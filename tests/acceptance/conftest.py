"""Parametrizes the acceptance suite over connectors (those with an acceptance-test-config.yml) x runners.

Fixtures `source` and `destination` give a `Target` per (connector, runner); `source_image` and
`destination_image` only the Docker runner. Select connectors with `--connector NAME[,NAME]` or the
DOCKYARD_CONNECTOR environment variable, runners with `-m docker` / `-m "not docker"`. A NAME may also be the
path of a connector directory outside connectors/ (a freshly generated one, say).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import CONFIG_FILE, discover_connectors, load_config
from dockyard_tools.acceptance.config_fixtures import config_overlay
from dockyard_tools.acceptance.targets import RUNNERS, build_target
from dockyard_tools.testing.services import service_missing

FIXTURES = {"source": ("source", RUNNERS), "destination": ("destination", RUNNERS)}
FIXTURES |= {"source_image": ("source", ("docker",)), "destination_image": ("destination", ("docker",))}


def pytest_addoption(parser: pytest.Parser) -> None:
    with contextlib.suppress(ValueError):  # tests/peer/conftest.py may have added it already
        parser.addoption("--connector", default=None, help="only these connectors (comma-separated names)")


def selected_connectors(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--connector", default=None) or os.environ.get("DOCKYARD_CONNECTOR") or ""
    names = discover_connectors()
    if not chosen:
        return names
    wanted = [n.strip() for n in str(chosen).split(",") if n.strip()]
    unknown = [n for n in wanted if n not in names and _directory(n) is None]
    if unknown:
        raise pytest.UsageError(
            f"No acceptance-test-config.yml for {', '.join(unknown)} (connectors with one: {', '.join(names)})."
        )
    return wanted


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, (kind, runners) in FIXTURES.items():
        if fixture not in metafunc.fixturenames:
            continue
        names = [n for n in selected_connectors(metafunc.config) if _kind(n) == kind]
        params = [
            pytest.param(
                (name, runner),
                id=f"{Path(name).name}-{runner}",
                marks=[pytest.mark.docker] if runner == "docker" else [],
            )
            for name in names
            for runner in runners
        ]
        metafunc.parametrize(fixture, params, indirect=True)


def _directory(name: str) -> Path | None:
    """`name` as a connector directory given by path (one with an acceptance-test-config.yml), else None."""
    if os.sep not in name and "/" not in name:
        return None
    path = Path(name).resolve()
    return path if (path / CONFIG_FILE).is_file() else None


def _kind(name: str) -> str:
    return "destination" if Path(name).name.startswith("destination-") else "source"


@contextlib.contextmanager
def _target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """The Target for this test's (connector, runner), its config fixture running until the test ends."""
    name, runner = request.param
    acceptance = load_config(_directory(name) or name)
    with config_overlay(acceptance, request.getfixturevalue) as overlay:
        if runner == "docker":
            from dockyard_tools.docker_engine import DockerUnavailableError

            try:
                target = build_target(acceptance, runner, tmp_path, overlay=overlay)
            except DockerUnavailableError as exc:
                service_missing("docker", str(exc))
        else:
            target = build_target(acceptance, runner, tmp_path, overlay=overlay)
        yield target


@pytest.fixture
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    with _target(request, tmp_path) as target:
        yield target


@pytest.fixture
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    with _target(request, tmp_path) as target:
        yield target


@pytest.fixture
def source_image(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    with _target(request, tmp_path) as target:
        yield target


@pytest.fixture
def destination_image(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    with _target(request, tmp_path) as target:
        yield target
