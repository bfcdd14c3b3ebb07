"""The destination acceptance suite: every destination, on its Python entrypoint and on its Docker image.

No upstream suite covers `write`; these tests do, reading back what landed through each destination's reader
hook (docs/acceptance-tests.md).
"""

from __future__ import annotations

import pytest
from dockyard_tools.acceptance import destination_checks, spec_checks
from dockyard_tools.acceptance.common import Target


def test_spec(destination: Target) -> None:
    spec_checks.check_spec(destination)


def test_spec_is_the_same_on_both_runners(destination_image: Target) -> None:
    spec_checks.check_spec_same_on_both_runners(destination_image)


def test_check(destination: Target) -> None:
    spec_checks.check_check(destination)


@pytest.mark.parametrize("mode", ["overwrite", "append", "append_dedup"])
def test_sync_mode(destination: Target, mode: str) -> None:
    if mode not in destination_checks.supported_modes(destination):
        pytest.skip(f"{destination.acceptance.connector} does not declare {mode} in its spec.")
    destination_checks.check_sync_mode(destination, mode)


def test_state_echo(destination: Target) -> None:
    destination_checks.check_state_echo(destination)


def test_state_after_commit(destination: Target) -> None:
    destination_checks.check_state_after_commit(destination)


def test_refreshes(destination: Target) -> None:
    destination_checks.check_refreshes(destination)


def test_edge_values(destination: Target) -> None:
    destination_checks.check_edge_values(destination)


def test_edge_names(destination: Target) -> None:
    destination_checks.check_edge_names(destination)


def test_schema_evolution(destination: Target) -> None:
    destination_checks.check_schema_evolution(destination)


def test_malformed_input(destination: Target) -> None:
    destination_checks.check_malformed_input(destination)
