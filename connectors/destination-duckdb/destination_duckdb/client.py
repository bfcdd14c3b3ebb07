"""One DuckDB connection, speaking the runtime's `SqlClient` protocol."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from dockyard_runtime.errors import ConfigError


def connect(path: str, memory_limit: str = "128MB") -> duckdb.DuckDBPyConnection:
    """Open the database file (creating its folder), with sessions in UTC so timestamps round-trip."""
    if path != ":memory:":
        folder = Path(path).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create the folder of destination_path: {exc.strerror}.", context={"path": path}
            ) from exc
    try:
        connection = duckdb.connect(path)
    except duckdb.Error as exc:
        raise ConfigError(f"Cannot open the DuckDB database: {exc}.", context={"path": path}) from exc
    connection.execute("SET TimeZone = 'UTC'")
    # DuckDB's cache otherwise grows toward 80% of RAM as the database grows; loads stream, so a modest limit
    # keeps the process flat (it spills to a temp directory when a merge needs more).
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    return connection


class DuckdbClient:
    def __init__(self, path: str) -> None:
        self.connection = connect(path)
        self._tmpdir = tempfile.TemporaryDirectory(prefix="dockyard-duckdb-")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.connection.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def begin(self) -> None:
        self.connection.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):  # no transaction open: nothing to undo
            self.connection.execute("ROLLBACK")

    def copy_csv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        self._copy(
            table,
            columns,
            data,
            "FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', "
            "ALLOW_QUOTED_NULLS false, AUTO_DETECT false",
        )

    def copy_tsv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """Tab-separated rows with no quoting or escaping and \\N for NULL (the loader sends only batches whose
        values hold no tab, newline or carriage return, none being the text \\N and no leading U+FEFF): DuckDB's CSV
        reader at its fastest."""
        self._copy(
            table,
            columns,
            data,
            "FORMAT csv, HEADER false, DELIMITER '\t', QUOTE '', ESCAPE '', NULL '\\N', AUTO_DETECT false",
        )

    def _copy(self, table: str, columns: Sequence[str], data: bytes, options: str) -> None:
        path = os.path.join(self._tmpdir.name, "batch.csv")
        with open(path, "wb") as handle:
            handle.write(data)
        sql = f"COPY {table} ({', '.join(map(_quote, columns))}) FROM '{path}' ({options}"
        try:
            self.connection.execute(sql + ")")
        except duckdb.InvalidInputException as exc:
            if "line size" not in str(exc).lower():
                raise
            # A row past the reader's 2 MB line limit: allow this batch's longest line (rare, so measured only
            # now rather than for every batch).
            longest = max(map(len, data.split(b"\n")))
            self.connection.execute(f"{sql}, MAX_LINE_SIZE {longest + 1024})")

    def table_columns(self, schema: str, table: str) -> dict[str, str] | None:
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return {name: kind for name, kind in rows} or None

    def close(self) -> None:
        self.connection.close()
        self._tmpdir.cleanup()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
