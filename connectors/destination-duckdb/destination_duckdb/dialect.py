"""DuckDB's SQL specifics for the shared SQL loader."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard_runtime.sql.dialect import SqlDialect
from dockyard_runtime.sql.types import LogicalType

T = LogicalType


class DuckdbDialect(SqlDialect):
    types = {
        T.BOOLEAN: "BOOLEAN",
        T.INTEGER: "BIGINT",
        T.BIG_INTEGER: "DECIMAL(38,0)",
        T.NUMBER: "DOUBLE",
        T.STRING: "VARCHAR",
        T.DATE: "DATE",
        T.TIME: "TIME",
        T.TIME_TZ: "TIMETZ",
        T.TIMESTAMP: "TIMESTAMP",
        T.TIMESTAMP_TZ: "TIMESTAMP WITH TIME ZONE",
        T.JSON: "JSON",
    }
    json_normalizes = True  # `json_value` minifies every JSON value as it lands, however it was staged
    raw_id_type = "UUID"
    meta_type = "JSON"
    text_type = "VARCHAR"

    def staging_table(self, schema: str, name: str) -> str:
        # A temporary table lives in memory (spilling to disk past the memory limit) with no WAL and no
        # checkpoints: staging then merging costs a third less. Its catalog is shared by all schemas, hence
        # the schema in its name.
        return f"temp.main.{self.quote(f'{schema}.{name}')}"

    def create_table(self, table: str, columns: Sequence[tuple[str, str]], *, staging: bool = False) -> str:
        body = ", ".join(f"{self.quote(name)} {kind}" for name, kind in columns)
        return f"CREATE {'TEMP ' if staging else ''}TABLE IF NOT EXISTS {table} ({body})"

    def logical_from_sql(self, sql_type: str) -> LogicalType:
        normalized = sql_type.upper()
        if normalized.startswith("DECIMAL"):
            return T.BIG_INTEGER if normalized.endswith(",0)") else T.NUMBER
        if normalized in ("HUGEINT", "INTEGER", "SMALLINT", "TINYINT"):
            return T.INTEGER
        if normalized in ("TIME WITH TIME ZONE",):
            return T.TIME_TZ
        return super().logical_from_sql(sql_type)

    def json_value(self, expr: str) -> str:
        # DuckDB keeps JSON text as it is given; one spelling whichever way a batch was staged (as the source wrote
        # it on the typed path, re-serialized by orjson on the general path)
        return f"json({expr})"

    def ms_to_timestamp(self, expr: str) -> str:
        return f"CAST(epoch_ms({expr}) AS TIMESTAMP WITH TIME ZONE)"

    def alter_column_type(self, table: str, column: str, old: LogicalType, new: LogicalType) -> str:
        quoted = self.quote(column)
        using = f"to_json({quoted})" if new is T.JSON else f"CAST({quoted} AS {self.type_sql(new)})"
        return f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE {self.type_sql(new)} USING {using}"

    def create_key_index(self, table: str, index_name: str, columns: Sequence[str]) -> str | None:
        return None  # hash joins need no index, and an ART index slows bulk inserts
