"""One psycopg2 connection speaking the runtime's `SqlClient` protocol.

Calls are synchronous: the runtime's write loop already runs every loader call on a background thread, so the
server loads one batch while Python reads the next (psycopg2 releases the GIL while it waits on the server).
The connection is in autocommit mode and the loader brackets its transactions with `begin`/`commit`.
psycopg2 is imported where used, so `spec` never loads the driver.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from typing import Any

from dockyard_runtime.errors import ConfigError, DockyardError, TransientError
from dockyard_runtime.postgres import connection_error, first_line

from destination_postgres.config import PostgresConfig


def connect(config: PostgresConfig) -> Any:
    """An autocommit connection in UTC (the loader opens transactions itself); failures name what to fix."""
    import psycopg2

    try:
        connection = psycopg2.connect(**config.connect_kwargs())
    except psycopg2.OperationalError as exc:
        raise connection_error(exc, config.context()) from None
    except psycopg2.ProgrammingError as exc:  # e.g. an unknown libpq option from jdbc_url_params
        raise ConfigError(f"Invalid connection parameters: {first_line(exc)}", context=config.context()) from None
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    return connection


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver errors into the project's branches: a lost connection may pass, a missing privilege won't."""
    import psycopg2
    from psycopg2 import errors

    try:
        yield
    except DockyardError:
        raise
    except errors.InsufficientPrivilege as exc:
        raise ConfigError(f"PostgreSQL refused an operation: {first_line(exc)}") from exc
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise TransientError(f"Lost the connection to PostgreSQL: {first_line(exc)}") from exc


class PostgresClient:
    def __init__(self, config: PostgresConfig) -> None:
        self.connection = connect(config)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with translated_errors(), self.connection.cursor() as cursor:
            cursor.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with translated_errors(), self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # the connection itself may be what failed
            self.execute("ROLLBACK")

    def copy_csv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        self._copy(table, columns, data, " WITH (FORMAT csv)")

    def copy_text(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """Bulk-load PostgreSQL's COPY text format (tab-separated, \\N = NULL), which the loader renders fastest."""
        self._copy(table, columns, data, "")

    def _copy(self, table: str, columns: Sequence[str], data: bytes, options: str) -> None:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        with translated_errors(), self.connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN{options}", io.BytesIO(data), size=1 << 20)

    def table_columns(self, schema: str, table: str) -> dict[str, str] | None:
        rows = self.query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [schema, table],
        )
        return {name: kind.lower() for name, kind in rows} or None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()
