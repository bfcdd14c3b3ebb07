"""The Airbyte CDK's standard tests (SourceTestSuiteBase / DestinationTestSuiteBase) for every connector.

One class per connector with an acceptance-test-config.yml, generated below. In-process tests drive the
connector through `DockyardSourceAdapter` (its main.py); image tests run our locally built image. Tests that
are wrong for Dockyard or cannot run offline are replaced by a skip that says why, and are listed in
docs/acceptance-tests.md ("The peer suite").
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase, SourceTestSuiteBase
from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.acceptance.config import discover_connectors, load_config
from dockyard_tools.acceptance.peer import DockyardSourceAdapter

CDK_VALIDATES_FIRST = (
    "in-process, the CDK's AirbyteEntrypoint validates the config against the spec before it calls the "
    "connector and reports CONNECTION_STATUS FAILED itself, so `status: exception` cannot hold there; Dockyard's "
    "entrypoint answers an invalid config with a config_error TRACE, which test_docker_image_build_and_check "
    "checks on the image (docs/acceptance-tests.md)"
)
OFFLINE = (
    "needs connectors.airbyte.com (the published spec registry), which CI cannot reach, and Dockyard "
    "images are not published there: there is no earlier spec to compare with (docs/acceptance-tests.md)"
)
NO_HOST_NETWORK = (
    "the CDK runs the image with `docker run` on the default bridge network; this connector's config fixture (a "
    "throwaway PostgreSQL, a fake API) listens on the host's 127.0.0.1, which the container cannot reach. Dockyard's "
    "own suite runs the same commands on the image with --network host (docs/acceptance-tests.md)"
)
IMAGE_TESTS_WITH_CONFIG = (
    "test_docker_image_build_and_check",
    "test_docker_image_build_and_discover",
    "test_docker_image_build_and_read",
)


def _with_fixture_config(method: Callable[..., Any], root: Path) -> Callable[..., Any]:
    """`method` with its scenario's config overlaid by the connector's config fixture (a fresh database, a fake API)."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, dockyard_config_overlay: dict[str, Any], **kwargs: Any) -> Any:
        scenario = kwargs["scenario"]
        config = scenario.get_config_dict(connector_root=root, empty_if_missing=True)
        kwargs["scenario"] = scenario.model_copy(update={"config_dict": {**dockyard_config_overlay, **config}})
        return method(self, *args, **kwargs)

    extra = inspect.Parameter("dockyard_config_overlay", inspect.Parameter.KEYWORD_ONLY)
    wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), extra])  # type: ignore[attr-defined]
    return wrapper


def _skipped(reason: str) -> Callable[..., None]:
    """An image test replaced by a skip that says why (still marked image_tests, so -m selects it alike)."""

    @pytest.mark.image_tests
    @pytest.mark.skip(reason=reason)
    def replaced(self: Any) -> None:
        """Replaced by a skip; see the reason."""

    return replaced


def _suite(name: str) -> type:
    root = CONNECTORS_DIR / name
    base: type = DestinationTestSuiteBase if name.startswith("destination-") else SourceTestSuiteBase
    fixture = load_config(name).config_fixture

    def get_connector_root_dir(cls: type) -> Path:
        return root

    def create_connector(cls: type, scenario: Any) -> DockyardSourceAdapter:
        return DockyardSourceAdapter(root)

    def test_check(self: Any, scenario: Any) -> None:
        if scenario.expected_outcome.expect_uncaught_error():
            pytest.skip(CDK_VALIDATES_FIRST)
        base.test_check(self, scenario)

    attrs: dict[str, Any] = {
        "dockyard_connector": name,
        "get_connector_root_dir": classmethod(get_connector_root_dir),
        "create_connector": classmethod(create_connector),
        "test_check": test_check,
        "test_docker_image_spec_backward_compatibility": _skipped(OFFLINE),
        "__module__": __name__,
    }
    if fixture is not None:
        for attr in [a for a in dir(base) if a.startswith("test_")]:
            method = attrs.get(attr) or getattr(base, attr)
            if "scenario" in inspect.signature(method).parameters:
                attrs[attr] = _with_fixture_config(method, root)
        attrs |= {test: _skipped(NO_HOST_NETWORK) for test in IMAGE_TESTS_WITH_CONFIG}
    camel = "".join(part.title() for part in name.split("-"))
    return type(f"TestPeer{camel}", (base,), attrs)


for _name in discover_connectors():
    _cls = _suite(_name)
    globals()[_cls.__name__] = _cls
