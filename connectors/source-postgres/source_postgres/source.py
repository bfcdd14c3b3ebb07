"""SourcePostgres: the protocol commands, each a few calls into the modules that do the work."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dockyard_runtime import protocol
from dockyard_runtime.config import read_json_file
from dockyard_runtime.errors import ConfigError, FatalError, TransientError
from dockyard_runtime.postgres import first_line

from source_postgres.catalog import StreamPlan, plan_streams
from source_postgres.cdc import slot
from source_postgres.check import check
from source_postgres.config import PostgresConfig
from source_postgres.connection import connect
from source_postgres.discovery import airbyte_stream, introspect
from source_postgres.full_refresh import read_full_refresh
from source_postgres.incremental import read_incremental
from source_postgres.output import emit_stream_status
from source_postgres.state import Checkpointer, IncomingState, parse_state

logger = logging.getLogger("dockyard.source_postgres")


@contextmanager
def database_errors() -> Iterator[None]:
    """Errors the server raises mid-command, as the branch that tells the user how to recover."""
    import psycopg2
    import psycopg2.errors

    try:
        yield
    except psycopg2.errors.InsufficientPrivilege as exc:
        raise ConfigError(f"Permission denied: {first_line(exc)}") from None
    except psycopg2.OperationalError as exc:
        raise TransientError(f"The database connection failed: {first_line(exc)}") from None
    except psycopg2.Error as exc:
        raise FatalError(f"The database reported an error: {first_line(exc)}") from None


class SourcePostgres:
    def run_command(self, args: argparse.Namespace, config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        settings = PostgresConfig.from_mapping(config)
        if args.command == "check":
            succeeded, message = check(settings)
            protocol.emit(protocol.connection_status(succeeded, message))
        elif args.command == "discover":
            with database_errors():
                protocol.emit({"type": "CATALOG", "catalog": {"streams": discover(settings)}})
        elif args.command == "read":
            catalog = read_json_file(args.catalog, what="catalog")
            raw_state = read_json_file(args.state, what="state") if args.state else None
            with database_errors():
                read(settings, catalog, parse_state(raw_state))


def discover(config: PostgresConfig) -> list[dict[str, Any]]:
    conn = connect(config)
    try:
        tables = introspect(conn, config.schemas)
        published: set[tuple[str, str]] = set()
        if config.cdc is not None:
            slot.check_wal_level(conn)
            published = slot.published_tables(conn, config.cdc.publication)
        return [
            airbyte_stream(t, cdc=config.cdc is not None, in_publication=(t.namespace, t.name) in published)
            for t in tables
        ]
    finally:
        conn.close()


def read(config: PostgresConfig, catalog: Any, state: IncomingState) -> None:
    if not isinstance(catalog, Mapping):
        raise ConfigError("The catalog must be a JSON object with a 'streams' list.")
    conn = connect(config)
    try:
        plans = plan_streams(catalog, introspect(conn, _schemas(config, catalog)), cdc=config.cdc is not None)
        if config.cdc is not None:
            from source_postgres.cdc.reader import read_cdc

            read_cdc(conn, config, plans, state)
        else:
            checkpointer = Checkpointer()
            for plan in plans:
                _read_standard(conn, config, plan, state, checkpointer)
    finally:
        conn.close()


def _read_standard(
    conn: Any, config: PostgresConfig, plan: StreamPlan, state: IncomingState, checkpointer: Checkpointer
) -> None:
    namespace, name = plan.key
    emit_stream_status(namespace, name, "STARTED")
    stream_state = state.streams.get(plan.key)
    if plan.sync_mode == "incremental":
        count = read_incremental(conn, plan, config, stream_state, checkpointer)
    else:
        count = read_full_refresh(conn, plan, config, stream_state, checkpointer)
    logger.info("Stream %s.%s: %d records.", namespace, name, count)
    emit_stream_status(namespace, name, "COMPLETE")


def _schemas(config: PostgresConfig, catalog: Mapping[str, Any]) -> tuple[str, ...]:
    """Introspect only the schemas the catalog reads from (faster on databases with many schemas)."""
    namespaces = {(entry.get("stream") or {}).get("namespace") or "public" for entry in catalog.get("streams") or []}
    return tuple(sorted(namespaces)) if namespaces else config.schemas
