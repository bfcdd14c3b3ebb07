"""Reading a connector's `acceptance-test-config.yml` into what the acceptance suite needs.

The file keeps the layout of Airbyte's Connector Acceptance Tests (CAT), so the CDK's standard tests read the
same file: `acceptance_tests.<section>.tests` entries with `config_path`, `status`, `configured_catalog_path`,
`empty_streams`, `future_state`, `cursor_paths`. What only Dockyard's suite reads lives in a top-level
`dockyard:` mapping the CDK ignores. docs/acceptance-tests.md describes every key; this module rejects what it
does not know, naming the key and the valid ones, so a typo cannot silently switch a check off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dockyard_tools import CONNECTORS_DIR

CONFIG_FILE = "acceptance-test-config.yml"
CONFIG_FIXTURES = ("postgres", "fake_api")
DEFAULT_FAKE_API_FILE = "conftest.py"
STATUSES = ("succeed", "failed", "exception")

_TOP_KEYS = {"connector_image", "test_strictness_level", "acceptance_tests", "dockyard"}
_SECTIONS = {"spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"}
_ENTRY_KEYS = {
    "spec": {"spec_path", "config_path", "backward_compatibility_tests_config"},
    "connection": {"config_path", "status"},
    "discovery": {"config_path", "backward_compatibility_tests_config"},
    "basic_read": {"config_path", "configured_catalog_path", "empty_streams", "validate_schema"},
    "full_refresh": {"config_path", "configured_catalog_path"},
    "incremental": {"config_path", "configured_catalog_path", "future_state", "cursor_paths"},
}
_DOCKYARD_KEYS = {"config_fixture", "setup_sql", "fake_api_file", "expected_records", "destination"}
_EXPECTED_KEYS = {"path", "ignored_fields", "exact_order"}
_DESTINATION_KEYS = {"reader", "file_fields", "commit_every_state"}


class AcceptanceConfigError(ValueError):
    """The acceptance-test-config.yml is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class CheckConfig:
    """One `connection` entry: a config and what `check` must say about it."""

    config_path: str
    status: str  # succeed | failed | exception


@dataclass(frozen=True)
class ReadConfig:
    """A `basic_read`, `full_refresh` or `incremental` entry."""

    config_path: str
    configured_catalog_path: str | None = None
    empty_streams: tuple[str, ...] = ()
    future_state_path: str | None = None
    cursor_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectedRecords:
    """Golden records for the first `basic_read` entry (deterministic output only)."""

    path: str
    ignored_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exact_order: bool = False


@dataclass(frozen=True)
class DestinationOptions:
    """How the suite builds a fresh destination config and reads back what landed."""

    reader: str  # module exposing read_table(config, stream, namespace=None) -> list[dict]
    file_fields: tuple[str, ...] = ()  # config fields holding a local file path, moved into the work dir
    commit_every_state: Mapping[str, Any] = field(default_factory=dict)  # config merged in to commit per STATE


@dataclass(frozen=True)
class AcceptanceConfig:
    """Everything the acceptance suite reads from one connector's acceptance-test-config.yml."""

    connector: str
    root: Path
    kind: str  # source | destination
    spec_configs: tuple[str, ...] = ()
    connection: tuple[CheckConfig, ...] = ()
    discovery: tuple[str, ...] = ()
    basic_read: tuple[ReadConfig, ...] = ()
    full_refresh: tuple[ReadConfig, ...] = ()
    incremental: tuple[ReadConfig, ...] = ()
    config_fixture: str | None = None
    setup_sql: str | None = None
    fake_api_file: str | None = None  # config_fixture fake_api: the file defining running_fake_api()
    expected_records: ExpectedRecords | None = None
    destination: DestinationOptions | None = None

    @property
    def package(self) -> str:
        return self.connector.replace("-", "_")

    @property
    def valid_configs(self) -> tuple[str, ...]:
        return tuple(c.config_path for c in self.connection if c.status == "succeed")

    @property
    def invalid_configs(self) -> tuple[CheckConfig, ...]:
        return tuple(c for c in self.connection if c.status != "succeed")

    def path(self, relative: str) -> Path:
        return self.root / relative


def discover_connectors(root: Path = CONNECTORS_DIR) -> list[str]:
    """Connectors that carry an acceptance-test-config.yml, sorted."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file())


def load_config(connector: str | Path, root: Path = CONNECTORS_DIR) -> AcceptanceConfig:
    """Parse and validate `<connector dir>/acceptance-test-config.yml`.

    `connector` is a name under `root` or a path to a connector directory (the suite's own fixture
    connectors live outside connectors/).
    """
    directory = connector if isinstance(connector, Path) else root / connector
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise AcceptanceConfigError(f"{path} does not exist: every connector needs one (docs/acceptance-tests.md).")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AcceptanceConfigError(f"{path} is not valid YAML: {exc}") from exc
    return _Parser(path, directory).parse(raw)


class _Parser:
    def __init__(self, path: Path, directory: Path) -> None:
        self.path = path
        self.directory = directory
        self.name = directory.name

    def fail(self, message: str) -> AcceptanceConfigError:
        return AcceptanceConfigError(f"{self.path}: {message}")

    def keys(self, value: Any, allowed: set[str], where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"{where} must be a mapping.")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(f"unknown key '{unknown[0]}' in {where} (expected: {', '.join(sorted(allowed))}).")
        return value

    def file(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where} must be a path relative to the connector directory.")
        if not (self.directory / value).is_file():
            raise self.fail(f"{where} names {value}, which does not exist in {self.directory.name}.")
        return value

    def parse(self, raw: Any) -> AcceptanceConfig:
        top = self.keys(raw, _TOP_KEYS, "the top level")
        sections = self.keys(top.get("acceptance_tests") or {}, _SECTIONS, "acceptance_tests")
        entries = {name: self.entries(sections, name) for name in _SECTIONS}
        kind = "destination" if self.name.startswith("destination-") else "source"
        dockyard = self.keys(top.get("dockyard") or {}, _DOCKYARD_KEYS, "dockyard")
        fixture = dockyard.get("config_fixture")
        if fixture is not None and fixture not in CONFIG_FIXTURES:
            raise self.fail(f"unknown dockyard.config_fixture '{fixture}' (expected: {', '.join(CONFIG_FIXTURES)}).")
        fake_api_file = None
        if fixture == "fake_api":
            fake_api_file = str(dockyard.get("fake_api_file", DEFAULT_FAKE_API_FILE))
            if "fake_api_file" not in dockyard and not (self.directory / fake_api_file).is_file():
                raise self.fail(
                    f"config_fixture fake_api looks for running_fake_api() in {DEFAULT_FAKE_API_FILE}, which does not "
                    f"exist in {self.name} (name another file in dockyard.fake_api_file)."
                )
            fake_api_file = self.file(fake_api_file, "dockyard.fake_api_file")
        elif "fake_api_file" in dockyard:
            raise self.fail("dockyard.fake_api_file needs dockyard.config_fixture: fake_api.")
        config = AcceptanceConfig(
            connector=self.name,
            root=self.directory,
            kind=kind,
            spec_configs=tuple(
                self.file(e["config_path"], "spec config_path") for e in entries["spec"] if "config_path" in e
            ),
            connection=tuple(self.check_entry(e) for e in entries["connection"]),
            discovery=tuple(self.file(e.get("config_path"), "discovery config_path") for e in entries["discovery"]),
            basic_read=tuple(self.read_entry(e, "basic_read") for e in entries["basic_read"]),
            full_refresh=tuple(self.read_entry(e, "full_refresh") for e in entries["full_refresh"]),
            incremental=tuple(self.read_entry(e, "incremental") for e in entries["incremental"]),
            config_fixture=fixture,
            setup_sql=self.file(dockyard["setup_sql"], "dockyard.setup_sql") if "setup_sql" in dockyard else None,
            fake_api_file=fake_api_file,
            expected_records=self.expected(dockyard.get("expected_records")),
            destination=self.destination(dockyard.get("destination")) if kind == "destination" else None,
        )
        self.require(config)
        return config

    def entries(self, sections: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        section = sections.get(name)
        if section is None:
            return []
        tests = self.keys(section, {"tests", "bypass_reason"}, f"acceptance_tests.{name}").get("tests") or []
        if not isinstance(tests, list):
            raise self.fail(f"acceptance_tests.{name}.tests must be a list.")
        return [self.keys(t, _ENTRY_KEYS[name], f"an acceptance_tests.{name} entry") for t in tests]

    def check_entry(self, entry: Mapping[str, Any]) -> CheckConfig:
        status = entry.get("status", "succeed")
        if status not in STATUSES:
            raise self.fail(f"connection status '{status}' is not one of {', '.join(STATUSES)}.")
        return CheckConfig(self.file(entry.get("config_path"), "connection config_path"), str(status))

    def read_entry(self, entry: Mapping[str, Any], section: str) -> ReadConfig:
        catalog = entry.get("configured_catalog_path")
        future = entry.get("future_state")
        future_path = None
        if future is not None:
            future_path = self.file(
                self.keys(future, {"future_state_path"}, f"{section} future_state").get("future_state_path"),
                f"{section} future_state.future_state_path",
            )
        empty = entry.get("empty_streams") or []
        if not isinstance(empty, list):
            raise self.fail(f"{section} empty_streams must be a list.")
        cursor_paths = entry.get("cursor_paths") or {}
        if not isinstance(cursor_paths, Mapping):
            raise self.fail(f"{section} cursor_paths must map stream names to a path in the stream state.")
        return ReadConfig(
            config_path=self.file(entry.get("config_path"), f"{section} config_path"),
            configured_catalog_path=self.file(catalog, f"{section} configured_catalog_path") if catalog else None,
            empty_streams=tuple(str(s["name"]) if isinstance(s, Mapping) else str(s) for s in empty),
            future_state_path=future_path,
            cursor_paths={str(k): self.names(v, f"{section} cursor_paths.{k}") for k, v in cursor_paths.items()},
        )

    def names(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise self.fail(f"{where} must be a list of names.")
        return tuple(str(v) for v in value)

    def expected(self, value: Any) -> ExpectedRecords | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = {"path": value}
        entry = self.keys(value, _EXPECTED_KEYS, "dockyard.expected_records")
        path = entry.get("path")
        if not isinstance(path, str) or not path:
            raise self.fail("dockyard.expected_records.path must name the golden file.")
        ignored = entry.get("ignored_fields") or {}
        if not isinstance(ignored, Mapping):
            raise self.fail("dockyard.expected_records.ignored_fields must map stream names to field lists.")
        return ExpectedRecords(
            path=path,  # may not exist yet: the refresh command writes it
            ignored_fields={str(k): self.names(v, f"ignored_fields.{k}") for k, v in ignored.items()},
            exact_order=bool(entry.get("exact_order", False)),
        )

    def destination(self, value: Any) -> DestinationOptions:
        entry = self.keys(value or {}, _DESTINATION_KEYS, "dockyard.destination")
        commit = entry.get("commit_every_state", {"commit_every_records": 1})
        if not isinstance(commit, Mapping):
            raise self.fail("dockyard.destination.commit_every_state must be a mapping merged into the config.")
        return DestinationOptions(
            reader=str(entry.get("reader") or f"{self.name.replace('-', '_')}.reader"),
            file_fields=self.names(entry.get("file_fields"), "dockyard.destination.file_fields"),
            commit_every_state=dict(commit),
        )

    def require(self, config: AcceptanceConfig) -> None:
        """The sections every connector of its kind must fill, so no check is skipped by omission."""
        if not config.valid_configs:
            raise self.fail("acceptance_tests.connection needs at least one entry with status: succeed.")
        if not config.invalid_configs:
            raise self.fail("acceptance_tests.connection needs at least one invalid config (status: failed/exception).")
        if config.kind == "source":
            for section in ("discovery", "basic_read", "full_refresh"):
                if not getattr(config, section):
                    raise self.fail(f"acceptance_tests.{section} needs at least one entry.")
        if config.setup_sql and config.config_fixture != "postgres":
            raise self.fail("dockyard.setup_sql needs dockyard.config_fixture: postgres (the database to run it in).")
