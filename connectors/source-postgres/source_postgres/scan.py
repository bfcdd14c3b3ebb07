"""Ordered, keyed table scans: the SQL and the batch loop every read mode shares.

Each row comes back as `(data_json, key1_text, key2_text, ...)`, all as bytes: the server renders the record
with `row_to_json` (see `types.select_expr`) and the key columns as text, and psycopg2's BYTES caster skips
decoding them. Resuming binds saved key texts cast back to the column types, comparing rows
`(k1, k2) > (v1, v2)`, which an index on the key serves directly; there is never an OFFSET.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from source_postgres.discovery import Table
from source_postgres.types import Column, quote_ident, select_expr

_cursor_ids = itertools.count(1)


def _sql_text(fragment: str) -> str:
    """Escape `%` in identifiers and literals: the statement is always executed with parameters."""
    return fragment.replace("%", "%%")


def scan_sql(
    table: Table,
    keys: Sequence[Column],
    *,
    after: int = 0,
    not_null: Sequence[Column] = (),
    limit: int | None = None,
    extras: Sequence[str] = (),
) -> str:
    """SELECT of the table's records ordered by `keys`, after a bound on the first `after` keys.

    `extras` are extra `expr AS name` items of each record (the CDC metadata columns). Parameters, in order:
    those of `extras`, then one per bounded key.
    """
    items = [_sql_text(f"{select_expr(c)} AS {quote_ident(c.name)}") for c in table.columns]
    key_refs = [_sql_text(f"src.{quote_ident(k.name)}") for k in keys]
    select = ["row_to_json(r.*)::text", *(f"{ref}::text" for ref in key_refs)]
    sql = (
        f"SELECT {', '.join(select)} FROM {_sql_text(table.qualified)} AS src "
        f"CROSS JOIN LATERAL (SELECT {', '.join([*items, *extras])}) AS r"
    )
    conditions = []
    if after:
        bound = ", ".join(f"%s::{_sql_text(k.sql_type)}" for k in keys[:after])
        conditions.append(f"({', '.join(key_refs[:after])}) > ({bound})")
    conditions += [_sql_text(f"src.{quote_ident(c.name)} IS NOT NULL") for c in not_null]
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if keys:
        sql += " ORDER BY " + ", ".join(key_refs)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


def fetch_batches(conn: Any, sql: str, params: Sequence[Any], fetch_size: int) -> Iterator[list[tuple[bytes, ...]]]:
    """Run `sql` in a server-side (named) cursor and yield `fetch_size` rows at a time: memory stays flat."""
    import psycopg2.extensions

    with conn.cursor(name=f"dockyard_scan_{next(_cursor_ids)}") as cur:
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cur)
        cur.itersize = fetch_size
        cur.execute(sql, list(params))
        while True:
            rows = cur.fetchmany(fetch_size)
            if not rows:
                return
            yield rows


def key_texts(row: Sequence[bytes]) -> list[str]:
    """The key values of a scan row (everything after the record JSON) as text, for the state."""
    return [value.decode() for value in row[1:]]
