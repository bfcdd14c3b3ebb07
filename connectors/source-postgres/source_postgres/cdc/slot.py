"""The replication slot, the publication and the server settings CDC needs, checked with a fix for each.

Every problem a user can fix is a ConfigError whose message carries the SQL that fixes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dockyard_runtime.errors import ConfigError

from source_postgres.cdc.pgoutput import lsn_to_int, lsn_to_text
from source_postgres.config import CdcSettings
from source_postgres.types import quote_ident


@dataclass(frozen=True)
class SlotInfo:
    name: str
    plugin: str
    database: str
    confirmed_flush: int | None
    wal_status: str | None
    active: bool


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scalar(conn: Any, sql: str, params: Iterable[Any] = ()) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, list(params))
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


def check_wal_level(conn: Any) -> None:
    level = _scalar(conn, "SELECT current_setting('wal_level')")
    if level != "logical":
        raise ConfigError(
            f"CDC needs wal_level=logical, but the server runs with wal_level={level}. Fix: run "
            "`ALTER SYSTEM SET wal_level = logical;` as a superuser, then restart PostgreSQL."
        )


def check_replication_privilege(conn: Any, username: str) -> None:
    allowed = _scalar(conn, "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")
    if not allowed:
        raise ConfigError(
            f"User '{username}' may not read a replication slot. Fix: `ALTER ROLE {quote_ident(username)} REPLICATION;`"
        )


def slot_info(conn: Any, slot: str) -> SlotInfo | None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT slot_name::text, plugin::text, database::text, confirmed_flush_lsn::text, wal_status, active "
            "FROM pg_replication_slots WHERE slot_name = %s",
            [slot],
        )
        row = cur.fetchone()
    conn.commit()
    if row is None:
        return None
    name, plugin, database, confirmed, wal_status, active = row
    return SlotInfo(
        name, plugin or "", database or "", lsn_to_int(confirmed) if confirmed else None, wal_status, active
    )


def check_slot(conn: Any, settings: CdcSettings, database: str) -> SlotInfo:
    create = f"SELECT pg_create_logical_replication_slot({_literal(settings.replication_slot)}, 'pgoutput');"
    info = slot_info(conn, settings.replication_slot)
    if info is None:
        raise ConfigError(
            f"Replication slot '{settings.replication_slot}' does not exist. "
            f"Fix: in database '{database}', run `{create}`"
        )
    if info.plugin != "pgoutput":
        raise ConfigError(
            f"Replication slot '{info.name}' uses the '{info.plugin}' plugin; this connector reads pgoutput. Fix: "
            f"`SELECT pg_drop_replication_slot({_literal(info.name)});` then `{create}`"
        )
    if info.database != database:
        raise ConfigError(
            f"Replication slot '{info.name}' belongs to database '{info.database}', not '{database}'. "
            f"Fix: use a slot created in '{database}': `{create}`"
        )
    if info.wal_status == "lost" or info.confirmed_flush is None:
        raise ConfigError(
            f"Replication slot '{info.name}' has been invalidated (its WAL was removed). Fix: drop and recreate it: "
            f"`SELECT pg_drop_replication_slot({_literal(info.name)});` then `{create}`, and re-sync."
        )
    return info


def published_tables(conn: Any, publication: str, tables_hint: Iterable[str] = ()) -> set[tuple[str, str]]:
    """(schema, table) pairs in the publication; a ConfigError naming the CREATE PUBLICATION when it is missing."""
    exists = _scalar(conn, "SELECT count(*) FROM pg_publication WHERE pubname = %s", [publication])
    if not exists:
        targets = ", ".join(tables_hint) or "<schema>.<table>, ..."
        raise ConfigError(
            f"Publication '{publication}' does not exist. Fix: `CREATE PUBLICATION {quote_ident(publication)} "
            f"FOR TABLE {targets};` (or FOR ALL TABLES)"
        )
    with conn.cursor() as cur:
        cur.execute(
            "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = %s", [publication]
        )
        rows = cur.fetchall()
    conn.commit()
    return {(schema, table) for schema, table in rows}


def missing_from_publication(publication: str, labels: Iterable[str]) -> ConfigError:
    names = ", ".join(labels)
    return ConfigError(
        f"Stream(s) {names} are synced with CDC but are not in publication '{publication}'. Fix: "
        f"`ALTER PUBLICATION {quote_ident(publication)} ADD TABLE {names};`"
    )


def validate(conn: Any, settings: CdcSettings, database: str, username: str) -> tuple[SlotInfo, set[tuple[str, str]]]:
    """All CDC prerequisites, in the order a user has to fix them."""
    check_wal_level(conn)
    check_replication_privilege(conn, username)
    info = check_slot(conn, settings, database)
    return info, published_tables(conn, settings.publication)


def advance(conn: Any, slot: str, lsn: int) -> None:
    """Move the slot's confirmed position to `lsn`: the server may then recycle WAL before it."""
    _scalar(conn, "SELECT pg_replication_slot_advance(%s, %s::pg_lsn)::text", [slot, lsn_to_text(lsn)])


def current_insert_lsn(conn: Any) -> int:
    return lsn_to_int(_scalar(conn, "SELECT pg_current_wal_insert_lsn()::text"))


def current_flush_lsn(conn: Any) -> int:
    return lsn_to_int(_scalar(conn, "SELECT pg_current_wal_flush_lsn()::text"))


def read_horizon(conn: Any, wait_seconds: float = 10.0) -> int:
    """A flushed LSN at or past everything written when called: the end of this sync's change read.

    Only flushed WAL can be decoded. With asynchronous commit, recent commits may not be flushed yet; the WAL
    writer flushes them within `wal_writer_delay`, so wait (bounded) for it rather than leave them for the
    next sync.
    """
    written = current_insert_lsn(conn)
    deadline = time.monotonic() + wait_seconds
    while True:
        flushed = current_flush_lsn(conn)
        if flushed >= written or time.monotonic() >= deadline:
            return flushed
        time.sleep(0.02)
