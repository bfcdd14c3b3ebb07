"""Introspecting tables and views from the system catalogs, and turning them into catalog streams.

pg_catalog rather than information_schema: the latter hides columns the user has no privilege on and knows
nothing of array element types, enum labels or domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from source_postgres.types import Column, PgType, json_schema, resolve_kind, typmod_details

CDC_COLUMNS: dict[str, dict[str, Any]] = {
    "_ab_cdc_lsn": {"type": "number"},
    "_ab_cdc_updated_at": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
    "_ab_cdc_deleted_at": {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_with_timezone",
    },
}
_PREFERRED_CURSORS = ("updated_at", "modified_at", "last_modified", "updated", "modified", "_ab_cdc_lsn")

_TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND (%(all_schemas)s OR n.nspname = ANY(%(schemas)s))
  AND has_schema_privilege(n.oid, 'USAGE')
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname
"""
_COLUMNS_SQL = """
SELECT a.attrelid, a.attname, a.atttypid, a.atttypmod, a.attnotnull, format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_PRIMARY_KEYS_SQL = """
SELECT i.indrelid, array_agg(a.attname::text ORDER BY k.ord)
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indisprimary AND i.indrelid = ANY(%s)
GROUP BY i.indrelid
"""
_TYPES_SQL = "SELECT oid, typname, typtype, typcategory, typelem, typbasetype FROM pg_catalog.pg_type"
_ENUMS_SQL = """
SELECT enumtypid, array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_catalog.pg_enum GROUP BY enumtypid
"""


@dataclass(frozen=True)
class Table:
    """A readable relation: a table (`r`, `p`), view (`v`), materialized view (`m`) or foreign table (`f`)."""

    oid: int
    namespace: str
    name: str
    relkind: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def qualified(self) -> str:
        from source_postgres.types import quote_ident

        return f"{quote_ident(self.namespace)}.{quote_ident(self.name)}"

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def cursor_candidates(self) -> list[str]:
        return [c.name for c in self.columns if c.cursor_capable]


def introspect(conn: Any, schemas: Sequence[str] = ()) -> list[Table]:
    """Every relation the user can read in `schemas` (all visible non-system schemas when empty)."""
    with conn.cursor() as cur:
        cur.execute(_TABLES_SQL, {"all_schemas": not schemas, "schemas": list(schemas)})
        relations = cur.fetchall()
        oids = [r[0] for r in relations]
        cur.execute(_COLUMNS_SQL, (oids,))
        column_rows = cur.fetchall()
        cur.execute(_PRIMARY_KEYS_SQL, (oids,))
        primary_keys = {oid: tuple(cols) for oid, cols in cur.fetchall()}
        cur.execute(_TYPES_SQL)
        types = {row[0]: PgType(*row) for row in cur.fetchall()}
        cur.execute(_ENUMS_SQL)
        enums = {oid: tuple(labels) for oid, labels in cur.fetchall()}
    conn.commit()
    columns: dict[int, list[Column]] = {}
    for relid, name, type_oid, typmod, not_null, sql_type in column_rows:
        kind, element_kind, enum_oid = resolve_kind(type_oid, types)
        details = typmod_details(kind, typmod)
        columns.setdefault(relid, []).append(
            Column(
                name=name,
                sql_type=sql_type,
                kind=kind,
                nullable=not not_null,
                element_kind=element_kind,
                enum_values=enums.get(enum_oid) if enum_oid is not None else None,
                **details,
            )
        )
    return [
        Table(oid, namespace, name, relkind, tuple(columns.get(oid, [])), primary_keys.get(oid, ()))
        for oid, namespace, name, relkind in relations
    ]


def airbyte_stream(table: Table, *, cdc: bool, in_publication: bool = False) -> dict[str, Any]:
    """The catalog entry of a table; in CDC mode only tables with a primary key in the publication are incremental."""
    properties = {c.name: json_schema(c) for c in table.columns}
    candidates = table.cursor_candidates
    stream: dict[str, Any] = {
        "name": table.name,
        "namespace": table.namespace,
        "json_schema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": properties,
        },
        "source_defined_primary_key": [[k] for k in table.primary_key],
        "is_resumable": bool(table.primary_key),
    }
    if cdc:
        incremental = bool(table.primary_key) and in_publication
        if incremental:
            properties.update(CDC_COLUMNS)
        stream["supported_sync_modes"] = ["full_refresh", "incremental"] if incremental else ["full_refresh"]
        stream["source_defined_cursor"] = incremental
        stream["default_cursor_field"] = ["_ab_cdc_lsn"] if incremental else []
        return stream
    stream["supported_sync_modes"] = ["full_refresh", "incremental"] if candidates else ["full_refresh"]
    stream["source_defined_cursor"] = False
    preferred = [name for name in _PREFERRED_CURSORS if name in candidates]
    stream["default_cursor_field"] = preferred[:1]
    stream["x-cursor-candidates"] = candidates
    return stream
