"""The acceptance suite every connector must pass, on its Python entrypoint and on its Docker image.

The checks are plain functions (spec_checks, source_checks, destination_checks) that raise AssertionError; the
pytest files in tests/acceptance/ call them for every connector x runner, and tests/peer/ wires the Airbyte
CDK's standard tests on the same acceptance-test-config.yml. `run_acceptance` runs both for one connector.
docs/acceptance-tests.md describes the config file and every check.
"""

from __future__ import annotations

from dockyard_tools.acceptance.launcher import run_acceptance

__all__ = ["run_acceptance"]
