"""One psycopg2 connection speaking the runtime's `SqlClient` protocol, with the database work overlapped with
Python work.

One worker thread runs, in order, the COPY of each batch and each commit's transaction, while this process
normalizes the next batch: the server works on one core while Python works on the other. At most one job is in
flight; every call first waits for it and re-raises its error, so statements run in the order the loader issued
them. A transaction (`begin` .. `commit`) is recorded and sent as one job; the STATE lines the write loop echoes
right after a commit go through `EchoGate`, which holds them until that transaction has really committed, and
drops them if it failed. psycopg2 is imported where used, so `spec` never loads the driver.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

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


@dataclass
class _Transaction:
    """A transaction recorded between `begin` and `commit`, and the echo waiting for it to commit."""

    statements: list[tuple[str, Sequence[Any] | None]] = field(default_factory=list)
    echo: list[bytes] = field(default_factory=list)
    committed: bool = False
    failed: bool = False


class PostgresClient:
    def __init__(self, config: PostgresConfig, out: IO[bytes] | None = None) -> None:
        """`out` is where held-back echo goes once its transaction commits (see `EchoGate`)."""
        self.connection = connect(config)
        self.out = out
        self.failure: BaseException | None = None  # a job's error that `close` swallowed
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockyard-postgres")
        self._job: Future[None] | None = None
        self._recording: _Transaction | None = None
        self._last: _Transaction | None = None
        self._echo_lock = threading.Lock()

    def _settle(self) -> None:
        """Wait for the job in flight; its error surfaces here, in the loader's thread."""
        job, self._job = self._job, None
        if job is not None:
            with translated_errors():
                job.result()

    def _submit(self, fn: Any, *args: Any) -> None:
        self._settle()
        self._job = self._worker.submit(fn, *args)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        if self._recording is not None:
            self._recording.statements.append((sql, params))
            return
        self._settle()
        with translated_errors(), self.connection.cursor() as cursor:
            cursor.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        if self._recording is not None:
            raise RuntimeError("A query inside a recorded transaction cannot be answered before it commits.")
        self._settle()
        with translated_errors(), self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def begin(self) -> None:
        self._recording = _Transaction()

    def commit(self) -> None:
        transaction, self._recording = self._recording, None
        if transaction is None:
            return
        with self._echo_lock:
            self._last = transaction
        self._submit(self._run_transaction, transaction)

    def rollback(self) -> None:
        self._recording = None  # nothing recorded has reached the server
        with contextlib.suppress(Exception):  # the job in flight or the connection may be what failed
            self._settle()

    def _run_transaction(self, transaction: _Transaction) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("BEGIN")
                for sql, params in transaction.statements:
                    cursor.execute(sql, params)
                cursor.execute("COMMIT")
        except BaseException:
            with self._echo_lock:
                transaction.failed = True
            with contextlib.suppress(Exception), self.connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
            raise
        with self._echo_lock:
            transaction.committed = True
            self._write(b"".join(transaction.echo))

    def echo_after_commit(self, data: bytes) -> None:
        """Write `data` once the latest transaction has committed (now, if it has); never if it failed."""
        with self._echo_lock:
            last = self._last
            if last is None or last.committed:
                self._write(data)
            elif not last.failed:
                last.echo.append(data)

    def _write(self, data: bytes) -> None:
        if data and self.out is not None:
            self.out.write(data)
            self.out.flush()

    def copy_csv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        self._submit(self._run_copy, f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)", data)

    def _run_copy(self, sql: str, data: bytes) -> None:
        with self.connection.cursor() as cursor:
            cursor.copy_expert(sql, io.BytesIO(data), size=1 << 20)

    def table_columns(self, schema: str, table: str) -> dict[str, str] | None:
        rows = self.query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [schema, table],
        )
        return {name: kind.lower() for name, kind in rows} or None

    def close(self) -> None:
        """Wait for the last job; its error is kept in `failure` (close also runs while another error unwinds)."""
        try:
            self._settle()
        except BaseException as exc:
            self.failure = exc
        self._worker.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.connection.close()


class EchoGate:
    """The write loop's output: what it writes goes out only after the transaction it follows has committed."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.client: PostgresClient | None = None

    def write(self, data: bytes) -> int:
        if self.client is None:
            self.out.write(data)
        else:
            self.client.echo_after_commit(data)
        return len(data)

    def flush(self) -> None:
        if self.client is None:
            self.out.flush()
