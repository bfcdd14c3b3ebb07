"""`check`: which of connecting, reading and (for CDC) the slot, publication and wal_level fails, and the fix."""

from __future__ import annotations

import logging
from typing import Any

from dockyard_runtime.errors import ConfigError, DockyardError

from source_postgres.cdc import slot
from source_postgres.config import PostgresConfig
from source_postgres.connection import connect
from source_postgres.types import quote_ident

logger = logging.getLogger("dockyard.source_postgres")

_SCHEMAS_SQL = """
SELECT n.nspname::text, has_schema_privilege(n.oid, 'USAGE')
FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY(%s)
"""
_TABLE_PRIVILEGES_SQL = """
SELECT count(*) FILTER (WHERE has_table_privilege(c.oid, 'SELECT')), count(*)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
  AND (%(all_schemas)s OR n.nspname = ANY(%(schemas)s))
"""


def check_read_permission(conn: Any, config: PostgresConfig) -> None:
    """Configured schemas exist and are usable, and at least one table in them is readable."""
    user = quote_ident(config.username)
    with conn.cursor() as cur:
        if config.schemas:
            cur.execute(_SCHEMAS_SQL, [list(config.schemas)])
            usable = dict(cur.fetchall())
            for schema in config.schemas:
                if schema not in usable:
                    raise ConfigError(f"Schema '{schema}' does not exist in database '{config.database}'.")
                if not usable[schema]:
                    raise ConfigError(
                        f"User '{config.username}' may not use schema '{schema}'. "
                        f"Fix: `GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {user};`"
                    )
        cur.execute(_TABLE_PRIVILEGES_SQL, {"all_schemas": not config.schemas, "schemas": list(config.schemas)})
        readable, total = cur.fetchone()
    conn.commit()
    if total and not readable:
        schemas = ", ".join(quote_ident(s) for s in config.schemas) or "<schema>"
        raise ConfigError(
            f"User '{config.username}' may not read any of the {total} tables. "
            f"Fix: `GRANT SELECT ON ALL TABLES IN SCHEMA {schemas} TO {user};`"
        )
    if readable < total:
        logger.warning(
            "%d of %d tables are not readable by %s and will not be discovered.", total - readable, total, user
        )


def check(config: PostgresConfig) -> tuple[bool, str | None]:
    """(succeeded, message naming the failed step)."""
    try:
        conn = connect(config)
    except DockyardError as exc:
        return False, f"Connection failed: {exc.render()}"
    try:
        try:
            check_read_permission(conn, config)
        except DockyardError as exc:
            return False, f"Read permission check failed: {exc.render()}"
        if config.cdc is not None:
            try:
                slot.validate(conn, config.cdc, config.database, config.username)
            except DockyardError as exc:
                return False, f"CDC check failed: {exc.render()}"
    finally:
        conn.close()
    return True, None
