"""Fixtures for destination-postgres integration tests: a fresh database per test and a runner around it.

The runner goes through the real entrypoint in-process (config validation, secret masking, TRACE on failure),
so a test sees exactly the protocol output a platform would.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from dockyard_runtime import entrypoint, protocol

pytestmark = pytest.mark.postgres

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["null", "string"]},
        "updated_at": {"type": ["null", "string"], "format": "date-time"},
    },
}


class Run:
    """The messages of one in-process run of the connector."""

    def __init__(self, exit_code: int, output: bytes) -> None:
        self.exit_code = exit_code
        self.raw = output
        self.messages = [json.loads(line) for line in output.splitlines() if line.strip()]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def logs(self) -> list[str]:
        return [m["log"]["message"] for m in self.of_type("LOG")]

    @property
    def status(self) -> dict[str, Any]:
        statuses = self.of_type("CONNECTION_STATUS")
        assert statuses, f"no CONNECTION_STATUS in {self.messages}"
        status: dict[str, Any] = statuses[0]["connectionStatus"]
        return status


def record(stream: str, data: dict[str, Any], emitted_at: int = 1_700_000_000_000, **extra: Any) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": emitted_at, **extra}}


def state(stream: str, value: Any, namespace: str | None = None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": stream}
    if namespace:
        descriptor["namespace"] = namespace
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": descriptor, "stream_state": value}},
    }


def stream_entry(
    name: str,
    mode: str = "append",
    *,
    schema: dict[str, Any] | None = None,
    namespace: str | None = None,
    primary_key: list[list[str]] | None = None,
    cursor: list[str] | None = None,
    generation_id: int = 1,
    minimum_generation_id: int = 0,
    sync_id: int | None = None,
) -> dict[str, Any]:
    """A configured stream; without `sync_id`, each `write` gives it a new one (a new sync, not a retry)."""
    stream: dict[str, Any] = {"name": name, "json_schema": schema or SCHEMA, "supported_sync_modes": ["incremental"]}
    if namespace:
        stream["namespace"] = namespace
    return {
        "stream": stream,
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "primary_key": primary_key if primary_key is not None else ([["id"]] if mode == "append_dedup" else []),
        "cursor_field": cursor if cursor is not None else (["updated_at"] if mode == "append_dedup" else []),
        "generation_id": generation_id,
        "minimum_generation_id": minimum_generation_id,
        "sync_id": sync_id,
    }


def catalog(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"streams": list(entries)}


class PostgresDestination:
    """Runs the connector against one fresh database; tests may edit `config` before a run."""

    def __init__(self, db: dict[str, Any], tmp_path: Path) -> None:
        self.db = db
        self.tmp_path = tmp_path
        self.config: dict[str, Any] = {**db, "schema": "public", "ssl_mode": "disable"}
        self._runs = 0
        self._syncs = 0

    def _file(self, name: str, content: Any) -> Path:
        self._runs += 1
        path = self.tmp_path / f"{self._runs}-{name}.json"
        path.write_text(json.dumps(content))
        return path

    def launch(self, argv: list[str], stdin: bytes = b"") -> Run:
        out = io.BytesIO()
        previous = protocol.output()
        protocol.set_output(out)
        saved_stdin = _StdinSwap(stdin)
        try:
            with saved_stdin:
                code = entrypoint.launch(
                    "destination_postgres.destination:DestinationPostgres",
                    kind="destination",
                    spec_package="destination_postgres",
                    argv=argv,
                )
        finally:
            protocol.set_output(previous)
        return Run(code, out.getvalue())

    def check(self, config: dict[str, Any] | None = None) -> Run:
        return self.launch(["check", "--config", str(self._file("config", config or self.config))])

    def write(
        self, catalog: dict[str, Any], messages: Iterable[dict[str, Any]] | bytes, config: dict[str, Any] | None = None
    ) -> Run:
        """One sync; `messages` as dicts, or as raw input bytes (exact numbers, malformed lines)."""
        self._syncs += 1
        catalog = {"streams": [{**e, "sync_id": e.get("sync_id") or 1000 + self._syncs} for e in catalog["streams"]]}
        lines = messages if isinstance(messages, bytes) else b"".join(json.dumps(m).encode() + b"\n" for m in messages)
        argv = ["write", "--config", str(self._file("config", config or self.config))]
        return self.launch([*argv, "--catalog", str(self._file("catalog", catalog))], lines)

    def connect(self) -> Any:
        connection = psycopg2.connect(
            host=self.db["host"],
            port=self.db["port"],
            dbname=self.db["database"],
            user=self.db["username"],
            password=self.db["password"],
        )
        connection.autocommit = True
        return connection

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            connection.close()

    def rows(self, table: str, schema: str = "public", order_by: str = "id") -> list[dict[str, Any]]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY {order_by}')
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def columns(self, table: str, schema: str = "public") -> dict[str, str]:
        return dict(
            self.query(  # type: ignore[arg-type]
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (schema, table),
            )
        )

    def tables(self, schema: str = "public") -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        return {r[0] for r in rows}


class _StdinSwap:
    """`write` reads the file behind `sys.stdin.fileno()`; tests give it a temporary file holding the input."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.saved: Any = None
        self.handle: Any = None

    def __enter__(self) -> None:
        import sys
        import tempfile

        self.handle = tempfile.TemporaryFile()
        self.handle.write(self.data)
        self.handle.seek(0)
        self.saved, sys.stdin = sys.stdin, self.handle

    def __exit__(self, *exc: object) -> None:
        import sys

        sys.stdin = self.saved
        self.handle.close()


@pytest.fixture
def dest(postgres_db: dict[str, Any], tmp_path: Path) -> Iterator[PostgresDestination]:
    yield PostgresDestination(postgres_db, tmp_path)


@pytest.fixture
def helpers() -> Any:
    """Message and catalog builders (test modules cannot import this conftest)."""

    class Helpers:
        pass

    h = Helpers()
    for fn in (record, state, stream_entry, catalog):
        setattr(h, fn.__name__, staticmethod(fn))
    h.SCHEMA = SCHEMA  # type: ignore[attr-defined]
    return h
