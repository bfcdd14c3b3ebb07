"""Reading JSON files given on the command line and validating the config against the spec.

Errors name the field and the rule it broke, never the value of a secret field, so a user can fix the config
from the message alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard_runtime.errors import ConfigError
from dockyard_runtime.secrets import secret_paths

if TYPE_CHECKING:
    import jsonschema


def read_json_file(path: str | Path, *, what: str) -> Any:
    """Parse a JSON file, turning a missing or malformed file into a ConfigError naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"The {what} file does not exist.", context={"path": path}) from exc
    except OSError as exc:
        raise ConfigError(f"The {what} file cannot be read: {exc.strerror}.", context={"path": path}) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The {what} file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            context={"path": path},
        ) from exc


def _field_name(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [r for r in required if r not in error.instance]
        if missing:
            path.append(str(missing[0]))
    return ".".join(path) or "(root)"


def validate_config(config: Any, connection_specification: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first invalid field (sorted by path, so the message is stable)."""
    if not isinstance(config, Mapping):
        raise ConfigError("The config must be a JSON object.")
    import jsonschema  # not at module level: `spec` never validates and stays fast

    validator = jsonschema.Draft7Validator(connection_specification)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    error = errors[0]
    field = _field_name(error)
    secret_fields = {".".join(p) for p in secret_paths(connection_specification)}
    if error.validator == "required":
        reason = "is required but missing"
    elif field in secret_fields:
        reason = f"is invalid (rule '{error.validator}' failed; the value is secret and not shown)"
    else:
        reason = f"is invalid: {error.message}"
    more = f" ({len(errors) - 1} more problem(s) after this one)" if len(errors) > 1 else ""
    raise ConfigError(f"Config field '{field}' {reason}.{more}")
