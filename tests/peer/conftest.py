"""Wiring for the Airbyte CDK's standard tests (tests/peer/test_peer_suites.py).

The CDK's own pytest plugin (`airbyte_cdk.test.standard_tests.pytest_hooks`) cannot be listed in
`pytest_plugins` here (pytest allows that only in the root conftest), and importing it early would evaluate the
CDK's `image_tests` marks before they are registered under `--strict-markers`. So this conftest registers the
marks, its options and fixtures itself, and reuses the CDK's `pytest_generate_tests` lazily. The image tests run
on our locally built images: `--connector-image` when given, else `dockyard_tools.images.ensure_image`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from dockyard_tools.testing.services import service_missing


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image_tests: CDK standard tests that run the connector's Docker image")
    config.addinivalue_line("markers", "requires_creds: CDK standard tests whose config holds real credentials")


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, help_text in (
        ("--connector", "only these connectors (comma-separated names)"),
        ("--connector-image", "run the CDK image tests on this image instead of the locally built one"),
    ):
        with contextlib.suppress(ValueError):  # tests/acceptance/conftest.py may have added it already
            parser.addoption(name, default=None, help=help_text)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" in metafunc.fixturenames and metafunc.cls is not None:
        from airbyte_cdk.test.standard_tests import pytest_hooks

        pytest_hooks.pytest_generate_tests(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = config.getoption("--connector", default=None) or os.environ.get("DOCKYARD_CONNECTOR")
    if not chosen:
        return
    wanted = {n.strip() for n in str(chosen).split(",")}
    keep, drop = [], []
    for item in items:
        connector = getattr(getattr(item, "cls", None), "dockyard_connector", None)
        (drop if connector is not None and connector not in wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def connector_image_override(request: pytest.FixtureRequest) -> str:
    explicit = request.config.getoption("--connector-image", default=None)
    if explicit:
        return str(explicit)
    from dockyard_tools.acceptance.targets import image_for
    from dockyard_tools.docker_engine import DockerUnavailableError

    connector = request.cls.dockyard_connector
    try:
        return image_for(connector)
    except DockerUnavailableError as exc:
        service_missing("docker", str(exc))
        raise


@pytest.fixture
def connector_base_image_override() -> None:
    return None


@pytest.fixture
def read_from_streams() -> str:
    return "all"


@pytest.fixture
def read_scenarios() -> str:
    return "default"


@pytest.fixture
def dockyard_config_overlay(request: pytest.FixtureRequest) -> Iterator[dict[str, Any] | None]:
    """Connection details from the connector's config fixture (a fresh database, its fake API), if it has one."""
    from dockyard_tools.acceptance.config import load_config
    from dockyard_tools.acceptance.config_fixtures import config_overlay

    with config_overlay(load_config(request.cls.dockyard_connector), request.getfixturevalue) as overlay:
        yield overlay
