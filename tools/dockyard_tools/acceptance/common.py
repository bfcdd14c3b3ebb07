"""Checks every command's output must pass, and what a check needs to know about the connector under test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dockyard_tools.acceptance.config import AcceptanceConfig
from dockyard_tools.acceptance.messages import TRACEBACK, Output
from dockyard_tools.acceptance.runners import Runner

MIN_SECRET_LENGTH = 4  # shorter values (a port, "1") appear in any output by chance; test configs use long secrets
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "token", "secret", "key", "apikey"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SECRET_CAPABLE = {"string", "integer", "number"}


@dataclass
class Target:
    """One connector on one runner, as a check sees it.

    `load_config` turns a config path from the acceptance config into the config to pass (the file's content,
    overlaid with a fixture's connection details where the acceptance config asks for one). `reference` is
    the Python runner when `runner` is the Docker one, for checks that compare the two.
    """

    acceptance: AcceptanceConfig
    runner: Runner
    load_config: Callable[[str], Any]
    reference: Runner | None = None

    @property
    def label(self) -> str:
        return f"{self.acceptance.connector} on the {self.runner.name} runner"

    def spec(self) -> dict[str, Any]:
        """The connector's spec (run once per connector, runner and environment in a session)."""
        key = (str(self.acceptance.root), self.runner.name, tuple(sorted(self.runner.env.items())))
        if key not in _SPECS:
            output = self.runner.run("spec")
            specs = output.of_type("SPEC")
            _SPECS[key] = specs[0]["spec"] if len(specs) == 1 and isinstance(specs[0].get("spec"), dict) else {}
        return _SPECS[key]


_SPECS: dict[tuple[str, str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}


def assert_clean(output: Output, what: str) -> None:
    """Stdout holds protocol messages only, and no traceback anywhere in them."""
    assert not output.bad_lines, (
        f"{what}: stdout has {len(output.bad_lines)} line(s) that are not Airbyte protocol messages, e.g. "
        f"{output.bad_lines[0][:300]!r}\n{output.describe()}"
    )
    stdout = output.stdout.decode("utf-8", errors="replace")
    assert TRACEBACK not in stdout, f"{what}: a Python traceback reached stdout.\n{output.describe()}"


def assert_no_crash(output: Output, what: str) -> None:
    """No system_error TRACE (an unexpected exception) and no death by signal."""
    crashes = [e for e in output.errors if e.get("failure_type") not in ("config_error", "transient_error")]
    assert not crashes, f"{what}: the connector crashed: {crashes[0].get('message')!r}\n{output.describe()}"
    assert output.returncode >= 0, f"{what}: the connector was killed by signal {-output.returncode}."


def assert_succeeded(output: Output, what: str) -> None:
    assert_clean(output, what)
    assert not output.errors, f"{what}: the connector reported an error: {output.errors[0]!r}\n{output.describe()}"
    assert output.returncode == 0, f"{what}: exit code {output.returncode}.\n{output.describe()}"


def name_tokens(name: str) -> list[str]:
    """`clientSecret`, `client-secret` and `Client_Secret` all give ["client", "secret"]."""
    return [t for t in re.split(r"[^0-9a-zA-Z]+", _CAMEL.sub("_", name).lower()) if t]


def looks_secret(name: str) -> bool:
    tokens = name_tokens(name)
    return any(t in _SECRET_WORDS or t.endswith(("password", "token", "secret")) for t in tokens)


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(t) for t in declared}
    return set()


def _branches(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword) or []:
            if isinstance(branch, Mapping):
                yield branch
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield items


def unflagged_secrets(schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Paths of secret-looking properties that can hold a secret but are not flagged `airbyte_secret: true`.

    A property that states `airbyte_secret: false` is taken at its word (a sort `key`, a `token_url`).
    """
    found: list[str] = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        path = f"{prefix}{name}"
        types = _types(prop) or {t for b in _branches(prop) for t in _types(b)}
        flagged = prop.get("airbyte_secret")
        if looks_secret(str(name)) and types & _SECRET_CAPABLE and flagged is not True and flagged is not False:
            found.append(path)
        found.extend(unflagged_secrets(prop, f"{path}."))
        for branch in _branches(prop):
            found.extend(unflagged_secrets(branch, f"{path}."))
    for branch in _branches(schema) if not prefix else ():
        found.extend(unflagged_secrets(branch, prefix))
    return found


def secret_values(config: Any, spec: Mapping[str, Any] | None) -> list[str]:
    """Every value the output must never show: the spec's secret fields and anything under a secret-looking key."""
    values: set[str] = set()
    declared_public: set[str] = set()
    if isinstance(config, Mapping) and spec is not None:
        from dockyard_runtime.secrets import secret_values as flagged

        connection = spec.get("connectionSpecification") or {}
        values.update(flagged(connection, config))
        declared_public = _declared_public(connection)

    def walk(node: Any, secret: bool) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, secret or (looks_secret(str(key)) and str(key) not in declared_public))
        elif isinstance(node, list):
            for value in node:
                walk(value, secret)
        elif secret and node is not None and not isinstance(node, bool):
            values.add(str(node))

    walk(config, False)
    return sorted(v for v in values if len(v) >= MIN_SECRET_LENGTH)


def _declared_public(schema: Mapping[str, Any]) -> set[str]:
    """Property names the spec marks `airbyte_secret: false` anywhere."""
    names: set[str] = set()
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, Mapping):
            if prop.get("airbyte_secret") is False:
                names.add(str(name))
            names |= _declared_public(prop)
            for branch in _branches(prop):
                names |= _declared_public(branch)
    return names


def assert_no_secret_leak(output: Output, secrets: list[str], what: str) -> None:
    text = output.text
    leaked = [s for s in secrets if s in text]
    if leaked:
        # never print the secret itself: say which field-length value leaked and where
        where = "stdout" if leaked[0] in output.stdout.decode("utf-8", errors="replace") else "stderr"
        raise AssertionError(
            f"{what}: a secret value from the config ({len(leaked[0])} characters) appears in {where}; "
            "secrets must be masked in every message and log line."
        )
