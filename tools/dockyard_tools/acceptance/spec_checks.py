"""`spec` and `check`: the two commands every connector answers, source or destination."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from dockyard_tools.acceptance.common import (
    Target,
    assert_clean,
    assert_no_crash,
    assert_no_secret_leak,
    assert_succeeded,
    secret_values,
    unflagged_secrets,
)
from dockyard_tools.acceptance.messages import Output

DESTINATION_SYNC_MODES = ("overwrite", "append", "append_dedup")


def run_spec(target: Target) -> dict[str, Any]:
    output = target.runner.run("spec")
    assert_succeeded(output, f"spec of {target.label}")
    specs = output.of_type("SPEC")
    assert len(specs) == 1, f"spec of {target.label}: expected exactly one SPEC message, got {len(specs)}."
    spec = specs[0].get("spec")
    assert isinstance(spec, dict), f"spec of {target.label}: the SPEC message has no 'spec' object."
    return spec


def check_spec(target: Target) -> dict[str, Any]:
    """A valid ConnectorSpecification whose connectionSpecification is a JSON Schema with its secrets flagged."""
    spec = run_spec(target)
    what = f"spec of {target.label}"
    from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteMessageSerializer

    try:
        AirbyteMessageSerializer.load({"type": "SPEC", "spec": spec})
    except Exception as exc:  # serpyco raises its own ValidationError types
        raise AssertionError(f"{what}: not a valid ConnectorSpecification: {exc}") from None
    connection = spec.get("connectionSpecification")
    assert isinstance(connection, dict), f"{what}: connectionSpecification must be a JSON object."
    try:
        jsonschema.Draft7Validator.check_schema(connection)
    except jsonschema.SchemaError as exc:
        raise AssertionError(f"{what}: connectionSpecification is not a valid JSON Schema: {exc.message}") from None
    assert connection.get("type") == "object", f"{what}: connectionSpecification must have type 'object'."
    _check_defaults(connection, what)
    unflagged = unflagged_secrets(connection)
    assert not unflagged, (
        f"{what}: secret-looking properties are not flagged airbyte_secret: {', '.join(unflagged)} "
        "(flag them, or state `airbyte_secret: false` when the value is not secret)."
    )
    if target.acceptance.kind == "destination":
        modes = spec.get("supported_destination_sync_modes")
        assert modes and set(modes) <= set(DESTINATION_SYNC_MODES), (
            f"{what}: supported_destination_sync_modes must list some of {', '.join(DESTINATION_SYNC_MODES)}, "
            f"got {modes!r}."
        )
    for path in target.acceptance.spec_configs:
        _check_config_matches(connection, target.load_config(path), f"{what}: config {path}")
    return spec


def _check_defaults(schema: Mapping[str, Any], what: str, prefix: str = "") -> None:
    """A default the spec offers must itself be valid, or the UI pre-fills a config the connector rejects."""
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        if "default" in prop:
            errors = list(jsonschema.Draft7Validator(prop).iter_errors(prop["default"]))
            assert not errors, f"{what}: the default of {prefix}{name} breaks its own schema: {errors[0].message}"
        _check_defaults(prop, what, f"{prefix}{name}.")


def _check_config_matches(connection: Mapping[str, Any], config: Any, what: str) -> None:
    errors = sorted(jsonschema.Draft7Validator(connection).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        field = ".".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise AssertionError(f"{what} does not match the spec at {field} (rule {errors[0].validator}).")


def check_spec_same_on_both_runners(target: Target) -> None:
    """The image must not ship a different spec than the code: users see the image's."""
    assert target.reference is not None, "check_spec_same_on_both_runners needs the Python runner as reference"
    ours = run_spec(target)
    reference = run_spec(Target(target.acceptance, target.reference, target.load_config))
    assert ours == reference, (
        f"spec of {target.label} differs from the Python entrypoint's: the image is stale or builds "
        "from different sources (rebuild it: dockyard build)."
    )


def check_check(target: Target) -> None:
    """Valid configs give one SUCCEEDED status; invalid ones FAILED or a config_error TRACE; no secret leaks."""
    spec = target.spec()
    for path in target.acceptance.valid_configs:
        config = target.load_config(path)
        output = target.runner.run("check", config=config)
        what = f"check of {target.label} with valid config {path}"
        assert_no_secret_leak(output, secret_values(config, spec), what)
        assert_succeeded(output, what)
        statuses = output.statuses
        assert len(statuses) == 1, f"{what}: expected exactly one CONNECTION_STATUS, got {len(statuses)}."
        assert statuses[0].get("status") == "SUCCEEDED", f"{what}: status {statuses[0]!r}.\n{output.describe()}"
    for entry in target.acceptance.invalid_configs:
        config = target.load_config(entry.config_path)
        output = target.runner.run("check", config=config)
        what = f"check of {target.label} with invalid config {entry.config_path}"
        assert_no_secret_leak(output, secret_values(config, spec), what)
        assert_rejected(output, what)


def assert_rejected(output: Output, what: str) -> None:
    """A clean refusal: one FAILED status or a config_error TRACE, with a message for the user."""
    assert_clean(output, what)
    assert_no_crash(output, what)
    statuses = output.statuses
    assert all(s.get("status") != "SUCCEEDED" for s in statuses), f"{what}: check SUCCEEDED."
    config_errors = [e for e in output.errors if e.get("failure_type") == "config_error"]
    if statuses:
        assert len(statuses) == 1, f"{what}: expected one CONNECTION_STATUS, got {len(statuses)}."
        assert statuses[0].get("message"), f"{what}: the FAILED status says nothing about what is wrong."
        assert output.returncode == 0 or config_errors, f"{what}: exit code {output.returncode} after a FAILED status."
        return
    assert config_errors, (
        f"{what}: expected a CONNECTION_STATUS FAILED or a TRACE error with failure_type config_error.\n"
        f"{output.describe()}"
    )
    assert config_errors[0].get("message"), f"{what}: the config_error TRACE has no message."
