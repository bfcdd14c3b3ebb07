"""`spec` and `check`: which step failed, config errors naming the field, and the password never in any output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.postgres

PACKAGE = Path(__file__).resolve().parents[1] / "destination_postgres"


def test_spec_is_the_packaged_spec(dest: Any) -> None:
    run = dest.launch(["spec"])
    assert run.exit_code == 0
    assert run.messages == [{"type": "SPEC", "spec": json.loads((PACKAGE / "spec.json").read_text())}]


def test_check_succeeds_and_leaves_nothing_behind(dest: Any) -> None:
    run = dest.check()
    assert run.exit_code == 0
    assert run.status == {"status": "SUCCEEDED"}
    assert dest.tables() == set()


def test_check_creates_a_missing_schema(dest: Any) -> None:
    run = dest.check({**dest.config, "schema": "fresh"})
    assert run.status == {"status": "SUCCEEDED"}
    assert dest.query("SELECT 1 FROM pg_namespace WHERE nspname = 'fresh'") == [(1,)]


def test_check_wrong_password_fails_without_showing_it(dest: Any) -> None:
    wrong = "not-the-Password-42"
    run = dest.check({**dest.config, "password": wrong})
    assert run.exit_code == 0
    assert run.status["status"] == "FAILED"
    assert "password authentication failed" in run.status["message"]
    assert wrong.encode() not in run.raw and dest.db["password"].encode() not in run.raw


def test_check_unreachable_server(dest: Any) -> None:
    run = dest.check({**dest.config, "port": 1, "jdbc_url_params": "connectTimeout=2"})
    assert run.status["status"] == "FAILED"
    assert run.status["message"].startswith("Could not connect to PostgreSQL")


def test_check_ssl_required_by_config_but_not_offered(dest: Any) -> None:
    run = dest.check({**dest.config, "ssl_mode": "require"})
    assert run.status["status"] == "FAILED"
    assert "SSL" in run.status["message"]


@pytest.fixture
def limited(dest: Any) -> dict[str, Any]:
    """A login role that may use schema `locked` but not create in it, nor create schemas."""
    database = dest.db["database"]
    dest.query(
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dy_limited') THEN "
        "CREATE ROLE dy_limited LOGIN PASSWORD 'limited-secret-pw'; END IF; END$$"
    )
    dest.query(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
    dest.query("CREATE SCHEMA locked; GRANT USAGE ON SCHEMA locked TO dy_limited")
    return {**dest.config, "username": "dy_limited", "password": "limited-secret-pw"}


def test_check_names_the_step_that_failed(dest: Any, limited: dict[str, Any]) -> None:
    run = dest.check({**limited, "schema": "locked"})
    assert run.status["status"] == "FAILED"
    assert run.status["message"].startswith("Connected, but could not create a table in schema locked")
    assert "permission denied" in run.status["message"]

    run = dest.check({**limited, "schema": "brand_new"})
    assert run.status["message"].startswith("Connected, but could not create schema brand_new")
    assert b"limited-secret-pw" not in run.raw


def test_an_existing_schema_needs_no_create_privilege_on_the_database(dest: Any, limited: dict[str, Any]) -> None:
    dest.query("GRANT CREATE ON SCHEMA locked TO dy_limited")
    assert dest.check({**limited, "schema": "locked"}).status == {"status": "SUCCEEDED"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"host": None}, "host"),
        ({"ssl_mode": "sometimes"}, "ssl_mode"),
        ({"port": "5432x"}, "port"),
        ({"number_type": "float"}, "number_type"),
        ({"password": 12}, "password"),
    ],
)
def test_invalid_config_is_a_config_error_naming_the_field(dest: Any, change: dict[str, Any], field: str) -> None:
    config = {k: v for k, v in {**dest.config, **change}.items() if v is not None}
    run = dest.check(config)
    assert run.exit_code == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error"
    assert f"'{field}'" in error["message"]
    assert dest.db["password"].encode() not in run.raw


def test_malformed_jdbc_params_fail_check_and_write_naming_the_field(dest: Any, helpers: Any) -> None:
    config = {**dest.config, "jdbc_url_params": "connectTimeout"}
    run = dest.check(config)
    assert run.status["status"] == "FAILED" and "jdbc_url_params" in run.status["message"]
    run = dest.write(helpers.catalog(helpers.stream_entry("users")), [], config)
    assert run.exit_code == 1
    assert run.errors[0]["failure_type"] == "config_error"
    assert "jdbc_url_params" in run.errors[0]["message"]


def test_the_password_never_reaches_any_output(dest: Any, helpers: Any) -> None:
    h = helpers
    outputs = [
        dest.check().raw,
        dest.write(h.catalog(h.stream_entry("users")), [h.record("users", {"id": 1}), h.state("users", 1)]).raw,
        dest.write(h.catalog(h.stream_entry("users")), b"not json\n").raw,
        dest.check({**dest.config, "host": "no-such-host.invalid"}).raw,
        dest.write(h.catalog(h.stream_entry("users")), [h.record("users", {"id": 1})], {**dest.config, "port": 1}).raw,
    ]
    password = dest.db["password"].encode()
    assert all(password not in out for out in outputs)
    assert b"SUCCEEDED" in outputs[0] and b"STATE" in outputs[1]
