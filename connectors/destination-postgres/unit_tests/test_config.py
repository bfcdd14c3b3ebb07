"""Config parsing: defaults, libpq parameters, and JDBC-style extra parameters."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from destination_postgres.config import PostgresConfig, parse_jdbc_params
from dockyard_runtime.config import validate_config
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.secrets import secret_paths

CONNECTOR = Path(__file__).resolve().parents[1]
SPEC = json.loads((CONNECTOR / "destination_postgres" / "spec.json").read_text())["connectionSpecification"]


def test_defaults() -> None:
    config = PostgresConfig.from_mapping({"host": "h", "database": "d", "username": "u"})
    assert (config.port, config.schema, config.ssl_mode, config.number_type) == (5432, "public", "prefer", "numeric")
    assert (config.unique_conflict_method, config.hard_delete_cdc, config.schema_change_policy) == (
        "update",
        True,
        "evolve",
    )
    assert "password" not in config.connect_kwargs()


def test_connect_kwargs_carry_the_config() -> None:
    config = PostgresConfig.from_mapping(
        {"host": "h", "port": 6543, "database": "d", "username": "u", "password": "p", "ssl_mode": "verify-full"}
    )
    kwargs = config.connect_kwargs()
    assert {k: kwargs[k] for k in ("host", "port", "dbname", "user", "password", "sslmode")} == {
        "host": "h",
        "port": 6543,
        "dbname": "d",
        "user": "u",
        "password": "p",
        "sslmode": "verify-full",
    }
    assert "p" not in config.context().values()


def test_jdbc_params_translate_to_libpq() -> None:
    params = parse_jdbc_params(
        "connectTimeout=20&ApplicationName=my%20app&ssl=true&currentSchema=raw&sslrootcert=/ca.pem"
    )
    assert params == {
        "connect_timeout": "20",
        "application_name": "my app",
        "sslmode": "require",
        "options": "-c search_path=raw",
        "sslrootcert": "/ca.pem",
    }


def test_jdbc_params_override_defaults() -> None:
    config = PostgresConfig.from_mapping(
        {"host": "h", "database": "d", "username": "u", "jdbc_url_params": "connect_timeout=3&sslmode=disable"}
    )
    assert config.connect_kwargs()["connect_timeout"] == "3"
    assert config.connect_kwargs()["sslmode"] == "disable"


def test_unknown_jdbc_params_are_ignored_with_a_warning_naming_only_the_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert parse_jdbc_params("prepareThreshold=s3cr3t-value&sslfactory=org.Foo") == {}
    assert "prepareThreshold" in caplog.text
    assert "s3cr3t-value" not in caplog.text and "sslfactory" not in caplog.text


@pytest.mark.parametrize("text", ["novalue", "=x", "sslmode=sometimes"])
def test_malformed_jdbc_params_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="jdbc_url_params"):
        parse_jdbc_params(text)


def test_empty_jdbc_params() -> None:
    assert parse_jdbc_params("") == {} and parse_jdbc_params("&&") == {}


def test_sample_config_is_valid_and_the_password_is_secret() -> None:
    validate_config(json.loads((CONNECTOR / "sample_files" / "config.json").read_text()), SPEC)
    assert secret_paths(SPEC) == [("password",)]


@pytest.mark.parametrize(
    "field", ["number_type", "unique_conflict_method", "cdc_deletion_mode", "schema_change_policy"]
)
def test_choice_fields_refuse_unknown_values(field: str) -> None:
    config = {"host": "h", "database": "d", "username": "u", field: "bogus"}
    with pytest.raises(ConfigError, match=f"'{field}'"):
        validate_config(config, SPEC)
