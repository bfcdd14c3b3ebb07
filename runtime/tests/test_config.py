"""Config validation messages: each names the field and the rule, never a secret value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dockyard_runtime.config import read_json_file, validate_config
from dockyard_runtime.errors import ConfigError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["host", "port"],
    "properties": {
        "host": {"type": "string"},
        "port": {"type": "integer", "minimum": 1},
        "ssl_mode": {"type": "string", "enum": ["disable", "require"]},
        "password": {"type": "string", "airbyte_secret": True, "minLength": 12},
        "tunnel": {
            "type": "object",
            "properties": {
                "user": {"type": "string"},
                "key": {"type": "string", "airbyte_secret": True, "pattern": "^-----BEGIN"},
            },
            "required": ["user"],
        },
    },
}
VALID = {"host": "localhost", "port": 5432}


def message_for(config: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_config(config, SCHEMA)
    assert caught.value.failure_type == "config_error"
    return caught.value.render()


def test_valid_config_passes() -> None:
    validate_config({**VALID, "password": "a-long-password", "tunnel": {"user": "u", "key": "-----BEGIN x"}}, SCHEMA)


def test_required() -> None:
    assert message_for({"host": "h"}) == "Config field 'port' is required but missing."


def test_required_nested_names_the_full_path() -> None:
    assert message_for({**VALID, "tunnel": {}}) == "Config field 'tunnel.user' is required but missing."


def test_type() -> None:
    assert message_for({**VALID, "port": "5432"}) == "Config field 'port' is invalid: '5432' is not of type 'integer'."


def test_enum() -> None:
    message = message_for({**VALID, "ssl_mode": "verify"})
    assert message == "Config field 'ssl_mode' is invalid: 'verify' is not one of ['disable', 'require']."


def test_minimum() -> None:
    assert message_for({**VALID, "port": 0}) == "Config field 'port' is invalid: 0 is less than the minimum of 1."


def test_secret_value_is_hidden() -> None:
    message = message_for({**VALID, "password": "short-pw"})
    assert "short-pw" not in message
    assert message == "Config field 'password' is invalid (rule 'minLength' failed; the value is secret and not shown)."


def test_nested_secret_value_is_hidden() -> None:
    message = message_for({**VALID, "tunnel": {"user": "u", "key": "ssh-rsa AAAAB3Nza"}})
    assert "AAAAB3Nza" not in message
    assert message.startswith("Config field 'tunnel.key' is invalid (rule 'pattern' failed")


def test_first_problem_by_path_and_a_count_of_the_rest() -> None:
    message = message_for({"port": 0, "ssl_mode": "x"})
    assert message.startswith("Config field 'host' is required but missing.") or message.startswith(
        "Config field 'port'"
    )
    assert message.endswith("(2 more problem(s) after this one)")


def test_same_config_same_message() -> None:
    config = {"port": "x", "ssl_mode": "y", "tunnel": {}}
    assert len({message_for(config) for _ in range(5)}) == 1


@pytest.mark.parametrize("config", [[], "text", 3, None])
def test_config_must_be_an_object(config: Any) -> None:
    assert message_for(config) == "The config must be a JSON object."


def test_read_json_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"a": [1, 2]}))
    assert read_json_file(path, what="config") == {"a": [1, 2]}


def test_read_json_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"The catalog file does not exist\. \(path=.*missing\.json\)"):
        read_json_file(tmp_path / "missing.json", what="catalog")


def test_read_json_file_malformed_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{\n  "a": 1,\n  "b": ]\n}')
    with pytest.raises(ConfigError, match=r"The state file is not valid JSON: Expecting value at line 3, column 8\."):
        read_json_file(path, what="state")


def test_read_json_file_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"The config file cannot be read: Is a directory\."):
        read_json_file(tmp_path, what="config")
