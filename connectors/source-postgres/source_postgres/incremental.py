"""Cursor-based incremental reads, paged on (cursor, primary key).

Pages are keyset queries: `WHERE (cursor, pk) > (last_cursor, last_pk) ORDER BY cursor, pk LIMIT page_size`.
The primary key breaks ties, so rows sharing a cursor value across a page (or checkpoint, or sync) boundary are
neither lost nor read twice; each page is its own short transaction, so a long sync holds no snapshot open.
Rows whose cursor is NULL are never read (they cannot be ordered against a saved cursor).

A stream without a primary key is read in one query and checkpointed only where the cursor value changes: the
state then means "every row with cursor <= X was read", and the next sync reads cursor > X.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from source_postgres.catalog import StreamPlan
from source_postgres.config import PostgresConfig
from source_postgres.output import RecordWriter
from source_postgres.scan import fetch_batches, key_texts, scan_sql
from source_postgres.state import Checkpointer
from source_postgres.types import Column

logger = logging.getLogger("dockyard.source_postgres")


def tie_break_columns(plan: StreamPlan) -> list[str]:
    return [name for name in plan.primary_key if name != plan.cursor_field]


def cursor_state(plan: StreamPlan, cursor: str | None, tie_break: list[str] | None) -> dict[str, Any]:
    return {
        "state_type": "cursor",
        "cursor_field": [plan.cursor_field],
        "cursor": cursor,
        "pk_columns": tie_break_columns(plan),
        "pk_values": tie_break or [],
    }


def start_point(plan: StreamPlan, stream_state: Mapping[str, Any] | None) -> tuple[list[str] | None, bool]:
    """(key texts to start after, whether they include the tie-break) from a saved cursor state.

    A state without tie-break values (written for a stream without a primary key) bounds the cursor alone.
    """
    if not stream_state or stream_state.get("state_type") != "cursor" or stream_state.get("cursor") is None:
        return None, False
    if list(stream_state.get("cursor_field") or []) != [plan.cursor_field]:
        logger.warning(
            "Stream %s: the saved cursor is on %s, not %s; reading from the beginning.",
            plan.table.label,
            stream_state.get("cursor_field"),
            plan.cursor_field,
        )
        return None, False
    cursor = str(stream_state["cursor"])
    tie_break = tie_break_columns(plan)
    values = stream_state.get("pk_values") or []
    if tie_break and list(stream_state.get("pk_columns") or []) == tie_break and len(values) == len(tie_break):
        return [cursor, *(str(v) for v in values)], True
    return [cursor], False


def read_incremental(
    conn: Any,
    plan: StreamPlan,
    config: PostgresConfig,
    stream_state: Mapping[str, Any] | None,
    checkpointer: Checkpointer,
) -> int:
    """Emit rows after the saved (cursor, pk) in order, checkpointing; returns the number of records."""
    table = plan.table
    cursor_column = table.column(plan.cursor_field or "")
    assert cursor_column is not None  # catalog.plan_streams checked it
    keys = [cursor_column, *(c for name in tie_break_columns(plan) if (c := table.column(name)) is not None)]
    after, _ = start_point(plan, stream_state)
    writer = RecordWriter(table.namespace, table.name)
    read = _read_pages if len(keys) > 1 else _read_unpaged
    last = read(conn, plan, config, keys, after, writer, checkpointer)
    position = last if last is not None else after
    final = cursor_state(plan, position[0], position[1:]) if position else cursor_state(plan, None, None)
    checkpointer.checkpoint(plan.key, final)
    return writer.count


def _read_pages(
    conn: Any,
    plan: StreamPlan,
    config: PostgresConfig,
    keys: list[Column],
    after: list[str] | None,
    writer: RecordWriter,
    checkpointer: Checkpointer,
) -> list[str] | None:
    """Keyset pages until one comes back short; returns the last key read (None when nothing was new)."""
    last: list[str] | None = None
    since_checkpoint = 0
    while True:
        bounded = len(after or [])  # a cursor-only saved state bounds the cursor alone, strictly
        sql = scan_sql(plan.table, keys, after=bounded, not_null=keys[:1], limit=config.page_size)
        page_rows = 0
        for rows in fetch_batches(conn, sql, after or [], config.fetch_size):
            count = writer.write([row[0] for row in rows])
            checkpointer.add_records(count)
            page_rows += count
            since_checkpoint += count
            last = key_texts(rows[-1])
            if config.checkpoint_due(since_checkpoint):
                checkpointer.checkpoint(plan.key, cursor_state(plan, last[0], last[1:]))
                since_checkpoint = 0
        conn.commit()
        if page_rows < config.page_size:
            return last
        after = last


def _read_unpaged(
    conn: Any,
    plan: StreamPlan,
    config: PostgresConfig,
    keys: list[Column],
    after: list[str] | None,
    writer: RecordWriter,
    checkpointer: Checkpointer,
) -> list[str] | None:
    """One ordered query; checkpoints save only cursor values that are certainly finished."""
    sql = scan_sql(plan.table, keys[:1], after=1 if after else 0, not_null=keys[:1])
    last_value: str | None = None
    since_checkpoint = 0
    for rows in fetch_batches(conn, sql, after[:1] if after else [], config.fetch_size):
        count = writer.write([row[0] for row in rows])
        checkpointer.add_records(count)
        since_checkpoint += count
        previous, last_value = last_value, rows[-1][1].decode()
        finished = next((v for row in reversed(rows) if (v := row[1].decode()) != last_value), None)
        if finished is None and previous is not None and previous != last_value:
            finished = previous
        if finished is not None and config.checkpoint_due(since_checkpoint):
            checkpointer.checkpoint(plan.key, cursor_state(plan, finished, None))
            since_checkpoint = 0
    conn.commit()
    return [last_value] if last_value is not None else None
