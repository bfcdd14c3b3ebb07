"""The acceptance-test-config.yml format: every connector has one, it parses, and mistakes are caught early."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard_tools import CONNECTORS_DIR, REPO_ROOT
from dockyard_tools.acceptance.config import CONFIG_FILE, AcceptanceConfigError, discover_connectors, load_config

FIXTURES = REPO_ROOT / "tests" / "acceptance_fixtures"
VALID = """
acceptance_tests:
  connection:
    tests:
      - config_path: config.json
      - config_path: bad.json
        status: exception
  discovery: {tests: [{config_path: config.json}]}
  basic_read: {tests: [{config_path: config.json}]}
  full_refresh: {tests: [{config_path: config.json}]}
"""


def test_every_connector_has_an_acceptance_config() -> None:
    connectors = sorted(p.name for p in CONNECTORS_DIR.iterdir() if (p / "main.py").is_file())
    assert connectors == discover_connectors(), "connectors without an acceptance-test-config.yml are never tested"


@pytest.mark.parametrize("connector", discover_connectors())
def test_connector_config_parses(connector: str) -> None:
    config = load_config(connector)
    assert config.valid_configs and config.invalid_configs
    if config.kind == "destination":
        assert config.destination is not None


@pytest.mark.parametrize("fixture", ["source-flawed", "destination-flawed"])
def test_fixture_config_parses(fixture: str) -> None:
    load_config(FIXTURES / fixture)


def _write(tmp_path: Path, text: str, name: str = "source-x") -> Path:
    directory = tmp_path / name
    directory.mkdir()
    for file in ("config.json", "bad.json"):
        (directory / file).write_text("{}")
    (directory / CONFIG_FILE).write_text(text)
    return directory


def test_a_minimal_source_config(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, VALID))
    assert config.kind == "source"
    assert config.valid_configs == ("config.json",)
    assert [c.status for c in config.invalid_configs] == ["exception"]
    assert config.incremental == ()  # the suite then derives the incremental test from basic_read


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID.replace("config_path: bad.json", "config_pth: bad.json"), "unknown key 'config_pth'"),
        (VALID + "dockyard: {expected_record: x}\n", "unknown key 'expected_record' in dockyard"),
        (VALID.replace("status: exception", "status: broken"), "status 'broken' is not one of"),
        (VALID.replace("config_path: bad.json", "config_path: missing.json"), "missing.json, which does not exist"),
        (VALID.replace("      - config_path: bad.json\n        status: exception\n", ""), "at least one invalid"),
        (VALID.replace("  discovery: {tests: [{config_path: config.json}]}\n", ""), "discovery needs at least one"),
        (VALID + "dockyard: {config_fixture: mysql}\n", "unknown dockyard.config_fixture 'mysql'"),
        (VALID + "dockyard: {setup_sql: config.json}\n", "setup_sql needs dockyard.config_fixture"),
        (
            VALID + "dockyard: {config_fixture: fake_api, fake_api_file: config.json, setup_sql: config.json}\n",
            "config_fixture: postgres",
        ),
        (VALID + "dockyard: {config_fixture: fake_api}\n", "looks for running_fake_api"),
        (VALID + "dockyard: {config_fixture: fake_api, fake_api_file: api.py}\n", "api.py, which does not exist"),
        (VALID + "dockyard: {fake_api_file: config.json}\n", "fake_api_file needs dockyard.config_fixture: fake_api"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AcceptanceConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config(_write(tmp_path, text))


def test_destination_defaults(tmp_path: Path) -> None:
    text = "acceptance_tests:\n  connection:\n    tests:\n      - config_path: config.json\n"
    text += "      - config_path: bad.json\n        status: failed\n"
    config = load_config(_write(tmp_path, text, "destination-x"))
    assert config.destination is not None
    assert config.destination.reader == "destination_x.reader"
    assert config.destination.commit_every_state == {"commit_every_records": 1}


def test_a_fake_api_fixture_defaults_to_the_connectors_conftest(tmp_path: Path) -> None:
    directory = _write(tmp_path, VALID + "dockyard: {config_fixture: fake_api}\n")
    (directory / "conftest.py").write_text("")
    config = load_config(directory)
    assert (config.config_fixture, config.fake_api_file) == ("fake_api", "conftest.py")
