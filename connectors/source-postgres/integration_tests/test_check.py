"""`check` names the step that failed, and the password never reaches any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dockyard_tools.testing.postgres import TEST_PASSWORD

pytestmark = pytest.mark.postgres


def _status(run: Any) -> dict[str, Any]:
    (message,) = run.of_type("CONNECTION_STATUS")
    status: dict[str, Any] = message["connectionStatus"]
    return status


def test_check_succeeds_with_a_readable_schema(source: Any) -> None:
    source.sql("CREATE TABLE t (id int)")
    run = source.check()
    assert run.exit_code == 0
    assert _status(run) == {"status": "SUCCEEDED"}


def test_check_names_a_failed_connection_without_the_password(source: Any) -> None:
    source.config["password"] = "wrong-" + TEST_PASSWORD
    run = source.check()
    status = _status(run)
    assert status["status"] == "FAILED"
    assert status["message"].startswith("Connection failed:")
    assert "password authentication failed" in status["message"]
    assert TEST_PASSWORD.encode() not in run.raw


def test_check_names_a_missing_database(source: Any) -> None:
    source.config["database"] = "no_such_db"
    status = _status(source.check())
    assert status["status"] == "FAILED" and "no_such_db" in status["message"]


def test_check_names_a_missing_schema(source: Any) -> None:
    source.config["schemas"] = ["public", "ghost"]
    status = _status(source.check())
    assert status["status"] == "FAILED"
    assert status["message"] == (
        f"Read permission check failed: Schema 'ghost' does not exist in database '{source.database}'."
    )


def test_check_names_missing_read_permissions_and_the_grant(source: Any) -> None:
    source.sql(
        "CREATE SCHEMA locked; CREATE TABLE locked.t (id int); CREATE TABLE public.t (id int);"
        "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'; GRANT USAGE ON SCHEMA locked TO reader;"
    )
    source.config.update(username="reader", password="reader-pw", schemas=["locked"])
    try:
        no_select = _status(source.check())
        source.sql("REVOKE USAGE ON SCHEMA locked FROM reader")
        no_usage = _status(source.check())
    finally:
        source.sql("DROP OWNED BY reader; DROP ROLE reader")
    assert no_select["status"] == "FAILED"
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "locked" TO "reader";' in no_select["message"]
    assert no_usage["status"] == "FAILED"
    assert 'GRANT USAGE ON SCHEMA "locked" TO "reader";' in no_usage["message"]


def test_invalid_config_is_a_config_error_trace(source: Any) -> None:
    source.config["port"] = "not-a-port"
    run = source.check()
    assert run.exit_code == 1
    (error,) = run.errors
    assert error["failure_type"] == "config_error" and "port" in error["message"]


def test_password_never_appears_in_stdout_or_stderr(source: Any, tmp_path: Path) -> None:
    """Every command through the real console script, successes and failures, with --debug tracebacks on."""
    source.sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'x')")
    script = str(Path(sys.executable).parent / "source-postgres")
    good = dict(source.config)
    bad_host = {**good, "host": "256.0.0.1"}
    bad_db = {**good, "database": "missing"}
    cdc = {**good, "replication_method": {"method": "CDC", "replication_slot": "nope", "publication": "nope"}}
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(source.configured_catalog({"t": {}})))
    transcripts = []
    for index, config in enumerate([good, bad_host, bad_db, cdc]):
        path = tmp_path / f"config{index}.json"
        path.write_text(json.dumps(config))
        for argv in (["check"], ["discover"], ["read", "--catalog", str(catalog)]):
            result = subprocess.run(
                [script, "--debug", *argv, "--config", str(path)], capture_output=True, timeout=120, check=False
            )
            transcripts.append((argv[0], index, result.stdout + result.stderr))
    assert len(transcripts) == 12
    assert any(b'"status":"SUCCEEDED"' in out for _, _, out in transcripts)  # the good config really ran
    assert any(b'"type":"RECORD"' in out for _, _, out in transcripts)
    for command, index, output in transcripts:
        assert TEST_PASSWORD.encode() not in output, (command, index, output[-500:])
