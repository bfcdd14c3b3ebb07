"""A CDC sync: snapshot the streams that need it, then read the slot's changes up to a fixed LSN.

Changes are read with `pg_logical_slot_peek_binary_changes`, which does not consume them. The slot is moved
forward only at the start of the *next* sync, to the LSN of the state that sync receives: that state is one
the destination committed, so the slot never passes what the destination acknowledged (the default
`lsn_commit_behaviour: after_loading`; `while_reading` advances right after reading instead, as Airbyte's
option of the same name does). Reading through SQL instead of the streaming replication protocol keeps each
sync a bounded query with a known end, at the cost of the server materialising the decoded changes.

The end of a sync's read is a flushed LSN at or past the WAL insert position when changes start (see
`slot.read_horizon`): peek decodes every record that starts before it, so each transaction committed before
it is read, and the state's LSN (the larger of it and the last commit read) never skips one.

Snapshot records carry `_ab_cdc_lsn` = the WAL insert position taken before the snapshot started, minus one. Changes
committed between the slot's position and the snapshot are read again after it (at-least-once); a destination
that dedups on the primary key by `_ab_cdc_lsn` converges to the current rows.

Shared state: `{"state_type": "cdc", "lsn": <int>, "slot": ..., "publication": ...}`. Stream states: the
snapshot progress (see `full_refresh.py`, state_type "snapshot"), or a full refresh stream's progress.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from dockyard_runtime.errors import ConfigError

from source_postgres.catalog import StreamPlan
from source_postgres.cdc import slot
from source_postgres.cdc.changes import ChangeRecords
from source_postgres.cdc.pgoutput import Commit, decode, lsn_to_int, lsn_to_text
from source_postgres.config import CdcSettings, PostgresConfig
from source_postgres.full_refresh import read_full_refresh
from source_postgres.output import RecordWriter, emit_stream_status
from source_postgres.scan import fetch_batches
from source_postgres.state import GlobalCheckpointer, IncomingState
from source_postgres.types import quote_ident

logger = logging.getLogger("dockyard.source_postgres")

PEEK_SQL = (
    "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes(%s, %s::pg_lsn, NULL, "
    "'proto_version', '1', 'publication_names', %s)"
)
SNAPSHOT_EXTRAS = (
    '%s::bigint AS "_ab_cdc_lsn"',
    '%s::text AS "_ab_cdc_updated_at"',
    'NULL::text AS "_ab_cdc_deleted_at"',
)


def _snapshot_done(stream_state: dict[str, Any] | None) -> bool:
    return bool(stream_state and stream_state.get("state_type") == "snapshot" and stream_state.get("complete"))


def _publication_option(name: str) -> str:
    """publication_names is parsed as a list of identifiers: quote any name that is not plain lowercase."""
    return name if name.isidentifier() and name == name.lower() else quote_ident(name)


def start_position(conn: Any, settings: CdcSettings, info: slot.SlotInfo, incoming: IncomingState) -> int | None:
    """The LSN to read from, after moving the slot to the saved (destination-committed) LSN.

    None means there is no usable saved LSN and every CDC stream starts with a snapshot.
    """
    shared = incoming.shared or {}
    saved = shared.get("lsn") if shared.get("state_type") == "cdc" else None
    if saved is None:
        return None
    saved_lsn = int(saved)
    confirmed = info.confirmed_flush or 0
    if saved_lsn < confirmed:
        message = (
            f"The saved LSN {lsn_to_text(saved_lsn)} is no longer available: replication slot "
            f"'{settings.replication_slot}' has already confirmed {lsn_to_text(confirmed)}, so the changes in between "
            "are gone."
        )
        if settings.invalid_cursor_policy == "resnapshot":
            logger.warning("%s Re-snapshotting every CDC stream (invalid_cursor_policy=resnapshot).", message)
            return None
        raise ConfigError(
            f"{message} Fix: set invalid_cursor_policy to 'resnapshot' (or reset the connection) to sync "
            "everything again."
        )
    if saved_lsn > confirmed:
        slot.advance(conn, settings.replication_slot, saved_lsn)
        logger.info("Advanced slot %s to the committed LSN %s.", settings.replication_slot, lsn_to_text(saved_lsn))
    return saved_lsn


def read_cdc(conn: Any, config: PostgresConfig, plans: list[StreamPlan], incoming: IncomingState) -> None:
    settings = config.cdc
    assert settings is not None
    info, published = slot.validate(conn, settings, config.database, config.username)
    cdc_plans = [p for p in plans if p.sync_mode == "incremental"]
    missing = [p.table.label for p in cdc_plans if p.key not in published]
    if missing:
        raise slot.missing_from_publication(settings.publication, missing)

    start = start_position(conn, settings, info, incoming)
    stream_states = {p.key: incoming.streams[p.key] for p in plans if p.key in incoming.streams}
    if start is None:  # no usable saved LSN: every CDC stream snapshots from scratch
        start = info.confirmed_flush or 0
        for plan in cdc_plans:
            stream_states.pop(plan.key, None)
    shared = {
        "state_type": "cdc",
        "lsn": start,
        "slot": settings.replication_slot,
        "publication": settings.publication,
    }
    checkpointer = GlobalCheckpointer(shared, stream_states)

    # WAL records start 8-byte aligned, so no change sits at insert position - 1: every change made before this
    # point sorts below the snapshot's records, every change after it above.
    snapshot_lsn = slot.current_insert_lsn(conn) - 1
    snapshot_time = datetime.now(timezone.utc).isoformat()
    for plan in cdc_plans:
        emit_stream_status(plan.table.namespace, plan.table.name, "STARTED")
        if not _snapshot_done(checkpointer.stream_states.get(plan.key)):
            count = read_full_refresh(
                conn,
                plan,
                config,
                checkpointer.stream_states.get(plan.key),
                checkpointer,
                extras=SNAPSHOT_EXTRAS,
                extra_params=[snapshot_lsn, snapshot_time],
                state_type="snapshot",
            )
            logger.info("Stream %s: snapshot of %d records.", plan.table.label, count)
    if cdc_plans:
        _read_changes(conn, config, settings, cdc_plans, checkpointer)
    for plan in cdc_plans:
        emit_stream_status(plan.table.namespace, plan.table.name, "COMPLETE")

    for plan in plans:
        if plan.sync_mode != "incremental":
            emit_stream_status(plan.table.namespace, plan.table.name, "STARTED")
            read_full_refresh(conn, plan, config, checkpointer.stream_states.get(plan.key), checkpointer)
            emit_stream_status(plan.table.namespace, plan.table.name, "COMPLETE")


def _read_changes(
    conn: Any,
    config: PostgresConfig,
    settings: CdcSettings,
    plans: list[StreamPlan],
    checkpointer: GlobalCheckpointer,
) -> None:
    target = slot.read_horizon(conn)
    changes = ChangeRecords({p.key: p.table for p in plans})
    pending: dict[RecordWriter, list[bytes]] = {}
    position = int(checkpointer.shared["lsn"])
    since_checkpoint = total = 0
    params = [settings.replication_slot, lsn_to_text(target), _publication_option(settings.publication)]

    def flush() -> None:
        for writer, items in pending.items():
            checkpointer.add_records(writer.write(items))
        pending.clear()

    for rows in fetch_batches(conn, PEEK_SQL, params, config.fetch_size):
        for lsn_text, data in rows:
            message = decode(data)
            if isinstance(message, Commit):
                position = max(position, message.end_lsn)
                if since_checkpoint >= config.checkpoint_records:
                    flush()
                    checkpointer.shared["lsn"] = position
                    checkpointer.emit()
                    since_checkpoint = 0
                continue
            produced = changes.record(message, lsn_to_int(lsn_text.decode()))
            if produced is not None:
                writer, record = produced
                pending.setdefault(writer, []).append(record)
                since_checkpoint += 1
                total += 1
        flush()
    conn.commit()
    checkpointer.shared["lsn"] = max(position, target)
    checkpointer.emit()
    logger.info("Read %d change records up to LSN %s.", total, lsn_to_text(int(checkpointer.shared["lsn"])))
    if settings.lsn_commit_behaviour == "while_reading":
        slot.advance(conn, settings.replication_slot, int(checkpointer.shared["lsn"]))
