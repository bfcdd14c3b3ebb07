"""The source acceptance suite: every source, on its Python entrypoint and on its Docker image."""

from __future__ import annotations

import os

import pytest
from dockyard_tools.acceptance import source_checks, spec_checks
from dockyard_tools.acceptance.common import Target


def test_spec(source: Target) -> None:
    spec_checks.check_spec(source)


def test_spec_is_the_same_on_both_runners(source_image: Target) -> None:
    spec_checks.check_spec_same_on_both_runners(source_image)


def test_check(source: Target) -> None:
    spec_checks.check_check(source)


def test_discover(source: Target) -> None:
    for path in source.acceptance.discovery:
        source_checks.check_discover(source, path)


def test_basic_read(source: Target) -> None:
    for index, entry in enumerate(source.acceptance.basic_read):
        discovered = source_checks.check_discover(source, entry.config_path)
        output = source_checks.check_basic_read(source, entry, discovered)
        if index == 0 and source.acceptance.expected_records is not None:
            if os.environ.get("DOCKYARD_UPDATE_GOLDEN") and source.runner.name == "python":
                source_checks.write_expected_records(source, output)
            source_checks.check_expected_records(source, output)


def test_full_refresh(source: Target) -> None:
    for entry in source.acceptance.full_refresh:
        discovered = source_checks.check_discover(source, entry.config_path)
        source_checks.check_full_refresh(source, entry, discovered)


def test_incremental(source: Target) -> None:
    discovered = source_checks.check_discover(source, source.acceptance.basic_read[0].config_path)
    entry = source_checks.incremental_entry(source, discovered)
    if entry is None:
        pytest.skip(f"{source.acceptance.connector} has no stream that supports incremental sync.")
    source_checks.check_incremental(source, entry, discovered)


def test_bad_catalog(source: Target) -> None:
    source_checks.check_bad_catalog(source, source.acceptance.basic_read[0].config_path)
