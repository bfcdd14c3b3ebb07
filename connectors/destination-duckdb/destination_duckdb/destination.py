"""DuckDB destination: the shared SQL loader on a DuckDB connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard_runtime.destination.base import DockyardDestination
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.sql.loader import SqlLoader, SqlLoaderOptions, with_load_limits

from destination_duckdb.client import DuckdbClient
from destination_duckdb.dialect import DuckdbDialect


def loader_options(config: Mapping[str, Any]) -> SqlLoaderOptions:
    options = SqlLoaderOptions(
        default_schema=str(config.get("schema") or "main"),
        unique_conflict_method=str(config.get("unique_conflict_method") or "update"),
        schema_change_policy=str(config.get("schema_change_policy") or "evolve"),
    )
    return with_load_limits(options, config)


class DestinationDuckdb(DockyardDestination):
    def check_connection(self, config: Mapping[str, Any]) -> str | None:
        client = DuckdbClient(str(config["destination_path"]))
        dialect = DuckdbDialect()
        schema = dialect.quote(str(config.get("schema") or "main"))
        table = f"{schema}.{dialect.quote('_dockyard_check')}"
        try:
            client.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            client.execute(f"CREATE OR REPLACE TABLE {table} (ok BOOLEAN)")
            client.execute(f"INSERT INTO {table} VALUES (true)")
            client.execute(f"DROP TABLE {table}")
        except Exception as exc:
            return f"Cannot create, write and drop a table in schema {schema}: {exc}"
        finally:
            client.close()
        return None

    def create_loader(self, config: Mapping[str, Any], streams: Mapping[StreamKey, StreamConfig]) -> SqlLoader:
        return SqlLoader(DuckdbClient(str(config["destination_path"])), DuckdbDialect(), loader_options(config))
