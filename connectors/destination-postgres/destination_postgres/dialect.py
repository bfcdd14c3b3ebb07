"""PostgreSQL's SQL specifics for the shared SQL loader (the defaults already speak PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from dockyard_runtime.sql.dialect import SqlDialect
from dockyard_runtime.sql.types import LogicalType

T = LogicalType
_MODIFIERS = re.compile(r"\([^)]*\)")
_ALIASES = {
    "smallint": T.INTEGER,
    "integer": T.INTEGER,
    "bigint": T.INTEGER,
    "real": T.NUMBER,
    "double precision": T.NUMBER,
    "numeric": T.NUMBER,
    "boolean": T.BOOLEAN,
    "text": T.STRING,
    "character varying": T.STRING,
    "character": T.STRING,
    "json": T.JSON,
    "jsonb": T.JSON,
    "date": T.DATE,
    "time without time zone": T.TIME,
    "time with time zone": T.TIME_TZ,
    "timestamp without time zone": T.TIMESTAMP,
    "timestamp with time zone": T.TIMESTAMP_TZ,
    # short spellings (as in CREATE TABLE): int8, timestamptz, ...
    "int2": T.INTEGER,
    "int4": T.INTEGER,
    "int8": T.INTEGER,
    "float4": T.NUMBER,
    "float8": T.NUMBER,
    "decimal": T.NUMBER,
    "bool": T.BOOLEAN,
    "varchar": T.STRING,
    "time": T.TIME,
    "timetz": T.TIME_TZ,
    "timestamp": T.TIMESTAMP,
    "timestamptz": T.TIMESTAMP_TZ,
}


class PostgresDialect(SqlDialect):
    """`number_type` picks NUMERIC (exact) or DOUBLE PRECISION for JSON numbers; `drop_cascade` lets the
    overwrite swap drop views that depend on the old table."""

    json_normalizes = True  # JSONB parses what it stores: no need to re-serialize a JSON value in Python

    def __init__(self, *, number_type: str = "numeric", drop_cascade: bool = False) -> None:
        self.types = {**SqlDialect.types, T.NUMBER: "DOUBLE PRECISION" if number_type == "double" else "NUMERIC"}
        self.drop_cascade = drop_cascade

    def logical_from_sql(self, sql_type: str) -> LogicalType:
        normalized = " ".join(_MODIFIERS.sub("", sql_type.lower()).split())
        if normalized.endswith("[]"):
            return T.JSON
        return _ALIASES.get(normalized, T.STRING)

    def uuid_expr(self, seq: str) -> str:
        # gen_random_uuid() is the costliest expression of a merge; a random prefix per merge (version 4 bits
        # kept) followed by the row's sequence number is as unique and costs a third as much. Adding 2**44 gives
        # every sequence number below 2**47 twelve hex digits without lpad, which alone cost a tenth of a merge.
        prefix = str(uuid.uuid4())[:24]
        return f"CAST('{prefix}' || to_hex({seq} + {2**44}) AS UUID)"

    def ms_to_timestamp(self, expr: str) -> str:
        return f"to_timestamp(CAST({expr} AS DOUBLE PRECISION) / 1000)"  # NUMERIC division costs 3x more per row

    def create_schema(self, schema: str) -> str:
        # CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists; users are often
        # granted only their schema, so create it only when it is really missing.
        literal = "'" + schema.replace("'", "''") + "'"
        return (
            f"DO $dy$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {literal}) THEN "
            f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}; END IF; END $dy$"
        )

    def create_table(self, table: str, columns: Sequence[tuple[str, str]], *, staging: bool = False) -> str:
        # Staging is rebuilt on every attempt, so it needs no WAL: UNLOGGED roughly halves the COPY's cost.
        body = ", ".join(f"{self.quote(name)} {kind}" for name, kind in columns)
        return f"CREATE {'UNLOGGED ' if staging else ''}TABLE IF NOT EXISTS {table} ({body})"

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE IF EXISTS {table}{' CASCADE' if self.drop_cascade else ''}"

    def clear_table(self, table: str) -> str:
        return f"TRUNCATE {table}"  # transactional in PostgreSQL, and leaves no dead rows to scan past
