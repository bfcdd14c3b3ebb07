"""The suite's own tests: every check passes on an honest connector and fails on one that breaks its rule.

The fixture connectors in tests/acceptance_fixtures/ behave well unless DOCKYARD_FLAW names a flaw; each flaw
breaks exactly one rule. A check that cannot fail proves nothing, so every check must catch at least one flaw,
and for the right reason (the failure message names the rule).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dockyard_tools import REPO_ROOT
from dockyard_tools.acceptance import destination_checks as dc
from dockyard_tools.acceptance import source_checks as sc
from dockyard_tools.acceptance import spec_checks
from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import load_config
from dockyard_tools.acceptance.targets import build_target

FIXTURES = REPO_ROOT / "tests" / "acceptance_fixtures"
Check = Callable[[Target], None]


def _spec(target: Target) -> None:
    spec_checks.check_spec(target)


def _discover(target: Target) -> None:
    sc.check_discover(target)


def _basic_read(target: Target) -> None:
    entry = target.acceptance.basic_read[0]
    sc.check_basic_read(target, entry, sc.check_discover(target, entry.config_path))


def _golden(target: Target) -> None:
    entry = target.acceptance.basic_read[0]
    sc.check_expected_records(target, sc.check_basic_read(target, entry, sc.check_discover(target, entry.config_path)))


def _full_refresh(target: Target) -> None:
    entry = target.acceptance.full_refresh[0]
    sc.check_full_refresh(target, entry, sc.check_discover(target, entry.config_path))


def _incremental(target: Target) -> None:
    discovered = sc.check_discover(target)
    entry = sc.incremental_entry(target, discovered)
    assert entry is not None
    sc.check_incremental(target, entry, discovered)


SOURCE_CHECKS: dict[str, Check] = {
    "spec": _spec,
    "check": spec_checks.check_check,
    "discover": _discover,
    "basic_read": _basic_read,
    "golden": _golden,
    "full_refresh": _full_refresh,
    "incremental": _incremental,
    "bad_catalog": lambda t: sc.check_bad_catalog(t, t.acceptance.basic_read[0].config_path),
}
# (flaw, the check that must catch it, a phrase its failure message must contain)
SOURCE_FLAWS = [
    ("secret_not_flagged", "spec", "not flagged airbyte_secret: api_token"),
    ("invalid_spec_schema", "spec", "not a valid JSON Schema"),
    ("leaks_secret_on_stderr", "check", "appears in stderr"),
    ("crash_on_bad_config", "check", "crashed"),
    ("prints_to_stdout", "check", "not Airbyte protocol messages"),
    ("refuses_valid_config", "check", "FAILED"),
    ("primary_key_not_in_schema", "discover", "primary key ['uid'] is not in the schema"),
    ("invalid_stream_schema", "discover", "not a valid JSON Schema"),
    ("records_break_schema", "basic_read", "does not match the stream's schema at id"),
    ("empty_stream", "basic_read", "no records from stream(s) tags"),
    ("golden_drift", "golden", "unexpected"),
    ("nondeterministic", "full_refresh", "in the first read"),
    ("ignores_state", "incremental", "older than the state"),
    ("no_state", "incremental", "emitted no STATE"),
    ("state_goes_back", "incremental", "went back"),
    ("ignores_future_state", "incremental", "far-future state still yielded records"),
    ("bad_catalog_ignored", "bad_catalog", "expected a TRACE error with failure_type config_error"),
    ("traceback_on_bad_catalog", "bad_catalog", "not Airbyte protocol messages"),
]

DESTINATION_CHECKS: dict[str, Check] = {
    "spec": _spec,
    "check": spec_checks.check_check,
    "overwrite": lambda t: dc.check_sync_mode(t, "overwrite"),
    "append": lambda t: dc.check_sync_mode(t, "append"),
    "append_dedup": lambda t: dc.check_sync_mode(t, "append_dedup"),
    "state_echo": dc.check_state_echo,
    "state_after_commit": dc.check_state_after_commit,
    "refreshes": dc.check_refreshes,
    "edge_values": dc.check_edge_values,
    "edge_names": dc.check_edge_names,
    "schema_evolution": dc.check_schema_evolution,
    "malformed_input": dc.check_malformed_input,
}
DESTINATION_FLAWS = [
    ("no_sync_modes", "spec", "supported_destination_sync_modes must list"),
    ("leaks_secret_on_stderr", "check", "appears in stderr"),
    ("append_dedups", "append", "missing"),
    ("overwrite_appends", "overwrite", "expected 2"),
    ("dedup_by_arrival", "append_dedup", "missing"),
    ("states_reordered", "state_echo", "echoed states differ"),
    ("drops_state", "state_echo", "echoed states differ"),
    ("echo_before_commit", "state_after_commit", "states were echoed before commit"),
    ("ignores_generations", "refreshes", "minimum_generation_id 2 removes generation 1"),
    ("truncates_early", "refreshes", "killed before its end removed the previous generation"),
    ("strips_unicode", "edge_values", "field s_unicode"),
    ("empty_string_as_null", "edge_values", "field s_empty"),
    ("name_collision", "edge_names", "expected exactly one"),
    ("drops_new_fields", "schema_evolution", "field added_later"),
    ("crashes_on_garbage", "malformed_input", "reported an error"),
]


def fixture_target(name: str, tmp_path: Path, flaw: str | None = None) -> Target:
    env = {"DOCKYARD_FLAW": flaw} if flaw else {}
    return build_target(load_config(FIXTURES / name), "python", tmp_path, env=env)


@pytest.mark.parametrize("check", SOURCE_CHECKS)
def test_honest_source_passes(check: str, tmp_path: Path) -> None:
    SOURCE_CHECKS[check](fixture_target("source-flawed", tmp_path))


@pytest.mark.parametrize(("flaw", "check", "phrase"), SOURCE_FLAWS, ids=[f[0] for f in SOURCE_FLAWS])
def test_source_check_catches(flaw: str, check: str, phrase: str, tmp_path: Path) -> None:
    with pytest.raises(AssertionError) as caught:
        SOURCE_CHECKS[check](fixture_target("source-flawed", tmp_path, flaw))
    assert phrase in str(caught.value), f"the {check} check failed for another reason: {caught.value}"


@pytest.mark.parametrize("check", DESTINATION_CHECKS)
def test_honest_destination_passes(check: str, tmp_path: Path) -> None:
    DESTINATION_CHECKS[check](fixture_target("destination-flawed", tmp_path))


@pytest.mark.parametrize(("flaw", "check", "phrase"), DESTINATION_FLAWS, ids=[f[0] for f in DESTINATION_FLAWS])
def test_destination_check_catches(flaw: str, check: str, phrase: str, tmp_path: Path) -> None:
    with pytest.raises(AssertionError) as caught:
        DESTINATION_CHECKS[check](fixture_target("destination-flawed", tmp_path, flaw))
    assert phrase in str(caught.value), f"the {check} check failed for another reason: {caught.value}"


def test_every_check_catches_some_flaw() -> None:
    """A check no flaw trips could be a no-op; each one must be shown to fail at least once."""
    uncaught = set(SOURCE_CHECKS) - {check for _, check, _ in SOURCE_FLAWS}
    uncaught |= {f"destination {c}" for c in set(DESTINATION_CHECKS) - {check for _, check, _ in DESTINATION_FLAWS}}
    assert not uncaught, f"checks without a flaw that proves they can fail: {sorted(uncaught)}"
