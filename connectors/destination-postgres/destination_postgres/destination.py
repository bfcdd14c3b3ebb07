"""PostgreSQL destination: the shared SQL loader on a psycopg2 connection."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Mapping
from typing import IO, Any

from dockyard_runtime.destination.base import DockyardDestination
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.errors import DockyardError
from dockyard_runtime.postgres import first_line
from dockyard_runtime.sql.loader import SqlLoader, SqlLoaderOptions, with_load_limits
from dockyard_runtime.sql.names import normalize

from destination_postgres.client import PostgresClient
from destination_postgres.config import PostgresConfig
from destination_postgres.dialect import PostgresDialect

# Smaller than the runtime's defaults: a batch's records live as Python objects while it is normalized, and
# these keep peak memory low with loading overlapped (a batch being read, one queued, one loading).
BATCH_DEFAULTS = {"batch_size_mb": 16, "batch_size_records": 50_000}


def loader_options(config: PostgresConfig) -> SqlLoaderOptions:
    return SqlLoaderOptions(
        default_schema=config.schema,
        unique_conflict_method=config.unique_conflict_method,
        hard_delete_cdc=config.hard_delete_cdc,
        schema_change_policy=config.schema_change_policy,
    )


def dialect_for(config: PostgresConfig) -> PostgresDialect:
    return PostgresDialect(number_type=config.number_type, drop_cascade=config.drop_cascade)


class DestinationPostgres(DockyardDestination):
    def check_connection(self, config: Mapping[str, Any]) -> str | None:
        """Connect, then create, write and drop a table in the target schema, naming the step that failed."""
        settings = PostgresConfig.from_mapping(config)
        dialect = dialect_for(settings)
        schema = normalize(settings.schema)
        table = dialect.table(schema, f"_dockyard_check_{uuid.uuid4().hex[:12]}")
        try:
            client = PostgresClient(settings)
        except DockyardError as exc:
            return exc.render()
        steps = [
            (f"create schema {schema}", dialect.create_schema(schema)),
            (f"create a table in schema {schema}", f"CREATE TABLE {table} (id BIGINT, note TEXT)"),
            (f"write to a table in schema {schema}", f"INSERT INTO {table} VALUES (1, 'dockyard check')"),
            (f"drop a table in schema {schema}", f"DROP TABLE {table}"),
        ]
        try:
            for index, (what, sql) in enumerate(steps):
                try:
                    client.execute(sql)
                except Exception as exc:
                    if index == 2:  # the table exists: do not leave it behind
                        with contextlib.suppress(Exception):
                            client.execute(f"DROP TABLE IF EXISTS {table}")
                    return f"Connected, but could not {what}: {first_line(exc)}"
        finally:
            client.close()
        return None

    def create_loader(self, config: Mapping[str, Any], streams: Mapping[StreamKey, StreamConfig]) -> SqlLoader:
        settings = PostgresConfig.from_mapping(config)
        options = with_load_limits(loader_options(settings), config)
        return SqlLoader(PostgresClient(settings), dialect_for(settings), options)

    def write(self, config: Mapping[str, Any], catalog: Any, lines: Iterable[bytes], out: IO[bytes]) -> int:
        return super().write({**BATCH_DEFAULTS, **config}, catalog, lines, out)
