"""The entrypoint as a user meets it: a real subprocess, real stdout/stderr, real exit codes.

A throwaway connector package is written to a tmp dir so each behaviour (crash, log, config error) can be
triggered from the config alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

SPEC: dict[str, Any] = {
    "documentationUrl": "https://example.invalid/fake",
    "connectionSpecification": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["host", "password"],
        "properties": {
            "host": {"type": "string"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "password": {"type": "string", "airbyte_secret": True},
            "mode": {"type": "string", "enum": ["fast", "safe"]},
            "behaviour": {"type": "string"},
            "credentials": {
                "type": "object",
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["auth_type", "api_key"],
                        "additionalProperties": False,
                        "properties": {
                            "auth_type": {"const": "key"},
                            "api_key": {"type": "string", "airbyte_secret": True},
                        },
                    },
                    {
                        "type": "object",
                        "required": ["auth_type"],
                        "properties": {
                            "auth_type": {"const": "oauth"},
                            "client_secret": {"type": "string", "airbyte_secret": True},
                            "refresh": {
                                "type": "object",
                                "properties": {"token": {"type": "string", "airbyte_secret": True}},
                            },
                        },
                    },
                ],
            },
        },
    },
}

CONNECTOR = textwrap.dedent(
    '''
    """A connector whose behaviour the config picks."""
    import logging

    from dockyard_runtime import protocol
    from dockyard_runtime.errors import ConfigError, TransientError


    def _all_secrets(config):
        creds = config.get("credentials") or {}
        refresh = creds.get("refresh") or {}
        return [config["password"], creds.get("api_key"), creds.get("client_secret"), refresh.get("token")]


    class Connector:
        def run_command(self, args, config, spec):
            behaviour = config.get("behaviour", "ok")
            secrets = [s for s in _all_secrets(config) if s]
            if behaviour == "ok":
                protocol.emit(protocol.connection_status(True))
            elif behaviour == "crash":
                raise RuntimeError("login failed for " + " and ".join(secrets))
            elif behaviour == "crash_repr":
                raise RuntimeError(repr({"secrets": secrets}))
            elif behaviour == "config_error":
                raise ConfigError("Wrong credentials " + ",".join(secrets), context={"secret": secrets[0]})
            elif behaviour == "transient":
                raise TransientError("Server busy")
            elif behaviour == "log":
                logging.getLogger("fake").warning("connecting with %s", secrets)
                protocol.emit(protocol.connection_status(False, "denied for " + secrets[0]))
            elif behaviour == "interrupt":
                raise KeyboardInterrupt()
            elif behaviour == "nested":
                try:
                    raise ValueError("inner " + secrets[-1])
                except ValueError as exc:
                    raise RuntimeError("outer") from exc
    '''
)

SNIFF = (
    "import json, sys\n"
    "from dockyard_runtime import entrypoint\n"
    "code = entrypoint.launch('fake_conn.connector:Connector', kind=sys.argv[1], spec_package='fake_conn',"
    " argv=sys.argv[2:])\n"
    "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('airbyte_cdk', 'fake_conn', 'duckdb'))\n"
    "sys.stderr.write('MODULES=' + json.dumps(loaded))\n"
    "sys.exit(code)\n"
)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    modules: list[str]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.stdout.splitlines()]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def error(self) -> dict[str, Any]:
        traces = self.of_type("TRACE")
        assert len(traces) == 1, self.stdout
        error: dict[str, Any] = traces[0]["trace"]["error"]
        return error


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "fake_conn").mkdir(parents=True)
    (root / "fake_conn" / "__init__.py").write_text("")
    (root / "fake_conn" / "spec.json").write_text(json.dumps(SPEC))
    (root / "fake_conn" / "connector.py").write_text(CONNECTOR)
    return root


def launch(package: Path, *argv: str, kind: str = "destination", env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        [sys.executable, "-c", SNIFF, kind, *argv],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(package), "PATH": "/usr/bin:/bin", **(env or {})},
        timeout=120,
    )
    stderr, found, modules = proc.stderr.rpartition("MODULES=")
    if not found:  # argparse exits before the sniffer reports
        return Result(proc.returncode, proc.stdout, proc.stderr, [])
    return Result(proc.returncode, proc.stdout, stderr, json.loads(modules))


def with_config(package: Path, config: Any, command: str = "check", **kwargs: Any) -> Result:
    path = package / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return launch(package, command, "--config", str(path), **kwargs)


BASE = {"host": "db.local", "password": "hunter2-Pa55"}


def assert_clean_failure(result: Result) -> None:
    """Exit 1, one TRACE and nothing else on stdout, nothing at all on stderr, no traceback anywhere."""
    assert result.code == 1
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    assert [m["type"] for m in result.messages] == ["TRACE"]
    assert result.error["message"]


def test_spec_answers_without_importing_the_cdk_or_the_connector(package: Path) -> None:
    result = launch(package, "spec")
    assert result.code == 0
    assert result.stderr == ""
    assert result.messages == [{"type": "SPEC", "spec": SPEC}]
    assert result.modules == ["fake_conn"], "only the package that ships spec.json"


def test_check_runs_the_connector_with_the_validated_config(package: Path) -> None:
    result = with_config(package, BASE)
    assert result.code == 0
    assert result.messages == [{"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}]
    assert "airbyte_cdk" not in {m.split(".")[0] for m in result.modules}, "a destination does not need the CDK"


@pytest.mark.parametrize(
    ("config", "field", "rule"),
    [
        ({"password": "x"}, "host", "is required but missing"),
        ({**BASE, "port": "5432"}, "port", "is not of type 'integer'"),
        ({**BASE, "port": 0}, "port", "is less than the minimum of 1"),
        ({**BASE, "mode": "turbo"}, "mode", "is not one of ['fast', 'safe']"),
        ({**BASE, "host": 3}, "host", "is not of type 'string'"),
    ],
)
def test_invalid_config_is_one_config_error_naming_the_field(
    package: Path, config: dict[str, Any], field: str, rule: str
) -> None:
    result = with_config(package, config)
    assert_clean_failure(result)
    assert result.error["failure_type"] == "config_error"
    assert f"Config field '{field}'" in result.error["message"]
    assert rule in result.error["message"]


def test_several_problems_report_the_first_and_count_the_rest(package: Path) -> None:
    result = with_config(package, {"port": -1, "mode": "x"})
    assert_clean_failure(result)
    assert "Config field '(root)." not in result.error["message"]
    assert "more problem(s)" in result.error["message"]


def test_invalid_secret_field_never_shows_its_value(package: Path) -> None:
    result = with_config(package, {"host": "h", "password": ["hunter2-list-secret"]})
    assert_clean_failure(result)
    assert "Config field 'password'" in result.error["message"]
    assert "secret" in result.error["message"]
    assert "hunter2-list-secret" not in result.stdout


def test_invalid_oneof_branch_masks_the_nested_secret(package: Path) -> None:
    config = {**BASE, "credentials": {"auth_type": "key", "api_key": "KEY-0f9a8b7c", "extra": True}}
    result = with_config(package, config)
    assert_clean_failure(result)
    assert result.error["failure_type"] == "config_error"
    assert "Config field 'credentials'" in result.error["message"]
    assert "KEY-0f9a8b7c" not in result.stdout
    assert "hunter2-Pa55" not in result.stdout


def test_missing_config_file(package: Path) -> None:
    result = launch(package, "check", "--config", str(package / "nope.json"))
    assert_clean_failure(result)
    assert result.error["failure_type"] == "config_error"
    assert "config file does not exist" in result.error["message"]
    assert "nope.json" in result.error["message"]


def test_malformed_config_file(package: Path) -> None:
    result = with_config(package, '{"host": "h",\n "password": }')
    assert_clean_failure(result)
    assert result.error["failure_type"] == "config_error"
    assert "not valid JSON" in result.error["message"]
    assert "line 2" in result.error["message"]


def test_config_that_is_not_an_object(package: Path) -> None:
    result = with_config(package, [1, 2])
    assert_clean_failure(result)
    assert result.error["message"] == "The config must be a JSON object."


OAUTH = {
    **BASE,
    "password": 'q"uo\\te/hunter',  # characters that JSON and repr() escape
    "credentials": {"auth_type": "oauth", "client_secret": "CS-112233", "refresh": {"token": "RT-445566"}},
}


def _assert_no_secret(result: Result, config: dict[str, Any]) -> None:
    password = config["password"]
    forms = {password, json.dumps(password)[1:-1], repr(password)[1:-1], "CS-112233", "RT-445566", "hunter2-Pa55"}
    for form in forms:
        assert form not in result.stdout, form
        assert form not in result.stderr, form


@pytest.mark.parametrize("behaviour", ["crash", "crash_repr", "config_error", "nested"])
def test_secrets_never_appear_in_failures(package: Path, behaviour: str) -> None:
    for config in (BASE, OAUTH):
        result = with_config(package, {**config, "behaviour": behaviour})
        assert_clean_failure(result)
        _assert_no_secret(result, config)
        assert "****" in result.stdout or behaviour == "nested"


def test_secrets_masked_in_logs_and_connection_status(package: Path) -> None:
    result = with_config(package, {**OAUTH, "behaviour": "log"})
    assert result.code == 0
    _assert_no_secret(result, OAUTH)
    assert [m["type"] for m in result.messages] == ["LOG", "CONNECTION_STATUS"]
    assert "****" in result.messages[0]["log"]["message"]
    assert result.messages[1]["connectionStatus"]["message"] == "denied for ****"


def test_secrets_masked_in_debug_internal_message(package: Path) -> None:
    result = with_config(package, {**OAUTH, "behaviour": "nested"}, env={"DOCKYARD_DEBUG": "1"})
    assert result.code == 1
    internal = result.error["internal_message"]
    assert "Traceback" in internal and "inner ****" in internal
    _assert_no_secret(result, OAUTH)


def test_unexpected_exception_is_system_error_without_traceback(package: Path) -> None:
    result = with_config(package, {**BASE, "behaviour": "crash"})
    assert_clean_failure(result)
    assert result.error["failure_type"] == "system_error"
    assert result.error["message"] == "Unexpected error: RuntimeError: login failed for ****"
    assert "internal_message" not in result.error
    assert "stack_trace" not in result.error


def test_dockyard_errors_keep_their_failure_type(package: Path) -> None:
    result = with_config(package, {**BASE, "behaviour": "transient"})
    assert_clean_failure(result)
    assert result.error == {"message": "Server busy", "failure_type": "transient_error"}


def test_config_error_context_is_rendered_and_masked(package: Path) -> None:
    result = with_config(package, {**BASE, "behaviour": "config_error"})
    assert_clean_failure(result)
    assert result.error == {"message": "Wrong credentials **** (secret=****)", "failure_type": "config_error"}


def test_keyboard_interrupt_is_a_trace_too(package: Path) -> None:
    result = with_config(package, {**BASE, "behaviour": "interrupt"})
    assert_clean_failure(result)
    assert result.error["failure_type"] == "system_error"


def test_missing_spec_json_is_a_system_error(package: Path) -> None:
    (package / "fake_conn" / "spec.json").unlink()
    result = launch(package, "spec")
    assert_clean_failure(result)
    assert result.error["failure_type"] == "system_error"
    assert "spec.json" in result.error["message"]


def test_unknown_command_is_a_usage_error(package: Path) -> None:
    result = launch(package, "discover", kind="destination")
    assert result.code == 2
    assert result.stdout == ""
    assert "invalid choice" in result.stderr
