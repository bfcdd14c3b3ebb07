"""Fixtures for source-postgres integration tests: a fresh database on the throwaway cluster, and a runner."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dockyard_runtime import entrypoint, protocol
from dockyard_tools.testing.postgres import PostgresCluster

pytestmark = pytest.mark.postgres


class SourceRun:
    """The messages of one in-process run of the connector, with helpers to pick them apart."""

    def __init__(self, exit_code: int, output: bytes) -> None:
        self.exit_code = exit_code
        self.raw = output
        self.messages = [json.loads(line) for line in output.splitlines() if line.strip()]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            m["record"]["data"] for m in self.of_type("RECORD") if stream is None or m["record"]["stream"] == stream
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    def stream_states(self, stream: str) -> list[dict[str, Any]]:
        found = []
        for state in self.states:
            if state["type"] == "STREAM" and state["stream"]["stream_descriptor"]["name"] == stream:
                found.append(state["stream"]["stream_state"])
            elif state["type"] == "GLOBAL":
                for item in state["global"]["stream_states"]:
                    if item["stream_descriptor"]["name"] == stream:
                        found.append(item["stream_state"])
        return found

    def next_state(self) -> list[dict[str, Any]]:
        """The state a platform passes to the next sync: the latest state of each stream, or the last global."""
        latest: dict[Any, dict[str, Any]] = {}
        for state in self.states:
            if state["type"] == "GLOBAL":
                latest = {"global": state}
            else:
                descriptor = state["stream"]["stream_descriptor"]
                latest[(descriptor.get("namespace"), descriptor["name"])] = state
        return list(latest.values())

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def catalog(self) -> dict[str, Any]:
        catalogs = self.of_type("CATALOG")
        assert catalogs, f"no CATALOG message in {self.messages}"
        catalog: dict[str, Any] = catalogs[0]["catalog"]
        return catalog

    def stream(self, name: str) -> dict[str, Any]:
        return next(s for s in self.catalog["streams"] if s["name"] == name)


class PostgresSource:
    """Runs the connector against one database; `config` may be edited by a test before running."""

    def __init__(self, cluster: PostgresCluster, database: str, tmp_path: Path) -> None:
        self.cluster = cluster
        self.database = database
        self.tmp_path = tmp_path
        self.config: dict[str, Any] = {**cluster.config(database), "schemas": ["public"]}

    def sql(self, statement: str) -> str:
        return self.cluster.psql(statement, database=self.database)

    def _write(self, name: str, content: Any) -> str:
        path = self.tmp_path / name
        path.write_text(json.dumps(content))
        return str(path)

    def run(self, *argv: str) -> SourceRun:
        buffer = io.BytesIO()
        protocol.set_output(buffer)
        try:
            code = entrypoint.launch(
                "source_postgres.source:SourcePostgres", kind="source", spec_package="source_postgres", argv=list(argv)
            )
        finally:
            protocol.set_output(io.BytesIO())
        return SourceRun(code, buffer.getvalue())

    def check(self) -> SourceRun:
        return self.run("check", "--config", self._write("config.json", self.config))

    def discover(self) -> SourceRun:
        return self.run("discover", "--config", self._write("config.json", self.config))

    def configured_catalog(self, streams: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Build a configured catalog from discovery: {stream name: {"sync_mode": ..., "cursor_field": [...]}}."""
        discovered = self.discover()
        assert discovered.exit_code == 0, discovered.messages
        entries = []
        for name, options in streams.items():
            stream = discovered.stream(name)
            entries.append(
                {
                    "stream": stream,
                    "sync_mode": options.get("sync_mode", "full_refresh"),
                    "cursor_field": options.get("cursor_field", stream.get("default_cursor_field") or []),
                    "primary_key": stream["source_defined_primary_key"],
                    "destination_sync_mode": "append",
                }
            )
        return {"streams": entries}

    def read(self, catalog: dict[str, Any], state: Any = None) -> SourceRun:
        argv = ["read", "--config", self._write("config.json", self.config)]
        argv += ["--catalog", self._write("catalog.json", catalog)]
        if state is not None:
            argv += ["--state", self._write("state.json", state)]
        return self.run(*argv)


@pytest.fixture
def source(postgres_cluster: PostgresCluster, postgres_db: dict[str, Any], tmp_path: Path) -> Iterator[PostgresSource]:
    yield PostgresSource(postgres_cluster, postgres_db["database"], tmp_path)
