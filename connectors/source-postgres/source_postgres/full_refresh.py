"""Full refresh: the whole table in primary-key order, resumable after the last key a state recorded.

Tables without a primary key (and views) are read in one unordered scan and restart from scratch if
interrupted: there is no key to resume after.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from source_postgres.catalog import StreamPlan
from source_postgres.config import PostgresConfig
from source_postgres.output import RecordWriter
from source_postgres.scan import fetch_batches, key_texts, scan_sql
from source_postgres.state import Checkpointer
from source_postgres.types import Column

logger = logging.getLogger("dockyard.source_postgres")


def complete_state(state_type: str = "full_refresh") -> dict[str, Any]:
    return {"state_type": state_type, "complete": True}


def resume_point(
    plan: StreamPlan, stream_state: Mapping[str, Any] | None, state_type: str = "full_refresh"
) -> list[str] | None:
    """The key to resume after, when the state is an unfinished read of this type over the same primary key."""
    if not stream_state or stream_state.get("state_type") != state_type or stream_state.get("complete"):
        return None
    if list(stream_state.get("pk_columns") or []) != list(plan.primary_key):
        logger.warning("Stream %s: the saved full-refresh position uses another key; starting over.", plan.table.label)
        return None
    values = stream_state.get("pk_values")
    return [str(v) for v in values] if isinstance(values, list) and len(values) == len(plan.primary_key) else None


def read_full_refresh(
    conn: Any,
    plan: StreamPlan,
    config: PostgresConfig,
    stream_state: Mapping[str, Any] | None,
    checkpointer: Checkpointer,
    *,
    extras: Sequence[str] = (),
    extra_params: Sequence[Any] = (),
    state_type: str = "full_refresh",
) -> int:
    """Emit every row of the stream (after the saved key, if any); returns the number of records.

    `extras`/`extra_params` add columns to every record and `state_type` names the states: the CDC snapshot
    is this same read with the `_ab_cdc_*` columns and `state_type="snapshot"`.
    """
    table = plan.table
    keys: list[Column] = [c for name in plan.primary_key if (c := table.column(name)) is not None]
    after = resume_point(plan, stream_state, state_type) if keys else None
    if after is not None:
        logger.info("Stream %s: resuming the read after %s=%s.", table.label, list(plan.primary_key), after)
    sql = scan_sql(table, keys, after=len(after or []), extras=extras)
    writer = RecordWriter(table.namespace, table.name)
    since_checkpoint = 0
    for rows in fetch_batches(conn, sql, [*extra_params, *(after or [])], config.fetch_size):
        count = writer.write([row[0] for row in rows])
        checkpointer.add_records(count)
        since_checkpoint += count
        if keys and config.checkpoint_due(since_checkpoint):
            pk_values = key_texts(rows[-1])
            checkpointer.checkpoint(plan.key, _position(plan, pk_values, state_type))
            since_checkpoint = 0
    conn.commit()
    checkpointer.checkpoint(plan.key, complete_state(state_type))
    return writer.count


def _position(plan: StreamPlan, pk_values: list[str], state_type: str) -> dict[str, Any]:
    return {"state_type": state_type, "pk_columns": list(plan.primary_key), "pk_values": pk_values}
