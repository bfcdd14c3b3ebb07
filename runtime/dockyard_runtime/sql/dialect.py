"""The small hook that separates an SQL engine from the shared loading logic.

`SqlDialect` renders SQL text (names, types, statements); `SqlClient` runs it on one connection and bulk-loads
CSV. A new SQL destination subclasses both, usually overriding only types, quoting limits and `copy_csv`.

Two optional client methods make loads cheaper, and the loader uses them when present: `copy_text(table,
columns, data)` takes PostgreSQL's COPY text format, and `copy_tsv(table, columns, data)` tab-separated values with
no quoting at all (\\N = NULL), which the loader sends only when no value holds a tab, newline or carriage return,
is the text \\N itself, or starts the data with U+FEFF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from dockyard_runtime.sql.types import LogicalType

T = LogicalType


class SqlClient(Protocol):
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def copy_csv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """Bulk-load CSV (unquoted empty = NULL, quoted "" = empty string) into the quoted `table`."""

    def table_columns(self, schema: str, table: str) -> dict[str, str] | None:
        """Existing column name -> SQL type (lowercase), or None when the table does not exist."""

    def close(self) -> None: ...


class SqlDialect:
    """SQL text for one engine. Defaults follow standard SQL / PostgreSQL; engines override what differs."""

    max_identifier_bytes = 63
    types: dict[LogicalType, str] = {
        T.BOOLEAN: "BOOLEAN",
        T.INTEGER: "BIGINT",
        T.BIG_INTEGER: "NUMERIC",
        T.NUMBER: "NUMERIC",
        T.STRING: "TEXT",
        T.DATE: "DATE",
        T.TIME: "TIME",
        T.TIME_TZ: "TIMETZ",
        T.TIMESTAMP: "TIMESTAMP",
        T.TIMESTAMP_TZ: "TIMESTAMPTZ",
        T.JSON: "JSONB",
    }
    # True when a JSON value is re-spelled on its way into the final table (PostgreSQL's JSONB parses what it
    # stores; DuckDB's merge minifies it with `json_value`), so JSON may be staged as the source wrote it; False
    # stages the general path's compact re-serialized text.
    json_normalizes = False
    raw_id_type = "UUID"
    meta_type = "JSONB"
    text_type = "TEXT"

    def json_value(self, expr: str) -> str:
        """How a merge writes a staged JSON column into the final table."""
        return expr

    @property
    def exact_numbers(self) -> bool:
        """False when `number` columns are doubles, so the loader records values they cannot hold exactly."""
        return self.type_sql(T.NUMBER).upper() not in ("DOUBLE", "DOUBLE PRECISION", "FLOAT", "FLOAT8", "REAL")

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def table(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def staging_table(self, schema: str, name: str) -> str:
        """Where a stream's staging table lives: beside its table by default; an engine with cheaper temporary
        tables may put it there (staging is rebuilt by every attempt, so it never needs to survive one)."""
        return self.table(schema, name)

    def type_sql(self, kind: LogicalType) -> str:
        return self.types[kind]

    def logical_from_sql(self, sql_type: str) -> LogicalType:
        """Best logical reading of an existing column's type (so evolution compares like with like)."""
        normalized = sql_type.lower()
        for kind, name in self.types.items():
            if name.lower() == normalized:
                return kind
        aliases = {
            "integer": T.INTEGER,
            "bigint": T.INTEGER,
            "double precision": T.NUMBER,
            "double": T.NUMBER,
            "character varying": T.STRING,
            "varchar": T.STRING,
            "text": T.STRING,
            "json": T.JSON,
            "jsonb": T.JSON,
            "timestamp with time zone": T.TIMESTAMP_TZ,
            "timestamp without time zone": T.TIMESTAMP,
            "time without time zone": T.TIME,
            "time with time zone": T.TIME_TZ,
        }
        if normalized.startswith(("numeric", "decimal")):
            return T.NUMBER
        return aliases.get(normalized, T.STRING)

    def uuid_expr(self, seq: str) -> str:
        """A new UUID per row; `seq` is the staged row's sequence number, unique within one merge."""
        return "gen_random_uuid()"

    def ms_to_timestamp(self, expr: str) -> str:
        return f"to_timestamp({expr} / 1000.0)"

    def cast(self, expr: str, kind: LogicalType) -> str:
        return f"CAST({expr} AS {self.type_sql(kind)})"

    def json_literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + f"'::{self.meta_type}"

    def create_schema(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"

    def create_table(self, table: str, columns: Sequence[tuple[str, str]], *, staging: bool = False) -> str:
        body = ", ".join(f"{self.quote(name)} {kind}" for name, kind in columns)
        return f"CREATE TABLE IF NOT EXISTS {table} ({body})"

    def add_column(self, table: str, column: str, sql_type: str) -> str:
        return f"ALTER TABLE {table} ADD COLUMN {self.quote(column)} {sql_type}"

    def alter_column_type(self, table: str, column: str, old: LogicalType, new: LogicalType) -> str:
        quoted = self.quote(column)
        using = f"to_jsonb({quoted})" if new is T.JSON else f"{quoted}::{self.type_sql(new)}"
        return f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE {self.type_sql(new)} USING {using}"

    def rename_table(self, table: str, new_name: str) -> str:
        return f"ALTER TABLE {table} RENAME TO {self.quote(new_name)}"

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE IF EXISTS {table}"

    def clear_table(self, table: str) -> str:
        """Empty a staging table (engines with a cheaper, transactional TRUNCATE override this)."""
        return f"DELETE FROM {table}"

    def rename_index(self, schema: str, index: str, new_name: str) -> str:
        return f"ALTER INDEX IF EXISTS {self.table(schema, index)} RENAME TO {self.quote(new_name)}"

    def create_key_index(self, table: str, index_name: str, columns: Sequence[str]) -> str | None:
        cols = ", ".join(self.quote(c) for c in columns)
        return f"CREATE INDEX IF NOT EXISTS {self.quote(index_name)} ON {table} ({cols})"
