"""The shared acceptance suite on every rendered template's Python entrypoint.

tests/acceptance/ runs over the connectors in connectors/; a rendering lives in a temporary directory, so this
test calls the same check functions on it (conftest.py `acceptance_suite`, run for all templates at once in
`acceptance_runs`), as tests/acceptance/test_source.py and test_destination.py do; a test below fails when those
files gain a check the fixture does not run.
"""

from __future__ import annotations

import ast
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from dockyard_tools import REPO_ROOT

SOURCE_CHECKS = {"test_spec", "test_check", "test_discover", "test_basic_read", "test_full_refresh"}
SOURCE_CHECKS |= {"test_incremental", "test_bad_catalog"}
DESTINATION_CHECKS = {"test_spec", "test_check", "test_sync_mode", "test_state_echo", "test_state_after_commit"}
DESTINATION_CHECKS |= {"test_refreshes", "test_edge_values", "test_edge_names", "test_schema_evolution"}
DESTINATION_CHECKS |= {"test_malformed_input"}
IMAGE_ONLY = {"test_spec_is_the_same_on_both_runners"}  # needs the Docker runner: see test_docker.py


def test_the_acceptance_suite_passes_on_the_python_entrypoint(
    rendered: Any, acceptance_runs: dict[str, Future[None]]
) -> None:
    acceptance_runs[rendered.template].result()  # raises the check's AssertionError


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_this_file_runs_every_check_of_the_acceptance_suite() -> None:
    suite = REPO_ROOT / "tests" / "acceptance"
    assert _test_names(suite / "test_source.py") - IMAGE_ONLY == SOURCE_CHECKS
    assert _test_names(suite / "test_destination.py") - IMAGE_ONLY == DESTINATION_CHECKS
