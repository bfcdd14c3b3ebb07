"""Turning decoded pgoutput messages into records of the configured streams.

Values are converted from PostgreSQL's text output with `types.text_converter`, which yields the same JSON as
the snapshot's `row_to_json`. Every record carries `_ab_cdc_lsn` (the change's LSN), `_ab_cdc_updated_at` (the
commit time) and `_ab_cdc_deleted_at` (the commit time for deletes, else null).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from source_postgres.cdc.pgoutput import (
    UNCHANGED,
    Begin,
    Delete,
    Insert,
    Message,
    Relation,
    Truncate,
    Update,
    Value,
)
from source_postgres.discovery import Table
from source_postgres.output import RecordWriter
from source_postgres.types import Converter, text_converter

logger = logging.getLogger("dockyard.source_postgres")


def _quoted(text: str) -> bytes:
    return orjson.dumps(text)


@dataclass
class _Target:
    table: Table
    writer: RecordWriter
    fields: list[tuple[bytes, Converter]]  # per relation column: b'"name":' and its converter


class ChangeRecords:
    """Keeps the relation map and the current transaction; `records` gives (writer, data) for one message."""

    def __init__(self, tables: Mapping[tuple[str, str], Table]) -> None:
        self._tables = tables
        self._writers: dict[tuple[str, str], RecordWriter] = {}
        self._relations: dict[int, _Target | None] = {}
        self._commit_time = b'""'
        self._warned_toast: set[str] = set()

    @property
    def writers(self) -> dict[tuple[str, str], RecordWriter]:
        return self._writers

    def record(self, message: Message, lsn: int) -> tuple[RecordWriter, bytes] | None:
        """The record a message produces, or None (transaction bounds, unselected tables, truncates)."""
        if isinstance(message, Begin):
            self._commit_time = _quoted(message.commit_time.isoformat())
            return None
        if isinstance(message, Relation):
            self._relations[message.relation_id] = self._target(message)
            return None
        if isinstance(message, Insert):
            target = self._relations.get(message.relation_id)
            return None if target is None else (target.writer, self._data(target, message.new, lsn, deleted=False))
        if isinstance(message, Update):
            target = self._relations.get(message.relation_id)
            if target is None:
                return None
            new = message.new
            if message.old is not None and UNCHANGED in new:  # REPLICA IDENTITY FULL logs the old value whole
                new = tuple(old if value is UNCHANGED else value for value, old in zip(new, message.old, strict=False))
            return target.writer, self._data(target, new, lsn, deleted=False)
        if isinstance(message, Delete):
            target = self._relations.get(message.relation_id)
            return None if target is None else (target.writer, self._data(target, message.old, lsn, deleted=True))
        if isinstance(message, Truncate):
            for relation_id in message.relation_ids:
                target = self._relations.get(relation_id)
                if target is not None:
                    logger.warning(
                        "Table %s was truncated; CDC emits no record for a TRUNCATE. Re-sync the stream to reflect it.",
                        target.table.label,
                    )
        return None

    def _target(self, relation: Relation) -> _Target | None:
        key = (relation.namespace, relation.name)
        table = self._tables.get(key)
        if table is None:
            return None
        writer = self._writers.setdefault(key, RecordWriter(*key))
        fields = []
        for column in relation.columns:
            known = table.column(column.name)
            fields.append((orjson.dumps(column.name) + b":", text_converter(known) if known else _quoted))
        return _Target(table, writer, fields)

    def _data(self, target: _Target, values: tuple[Value, ...], lsn: int, *, deleted: bool) -> bytes:
        parts = []
        for (name, convert), value in zip(target.fields, values, strict=False):
            if value is None:
                parts.append(name + b"null")
            elif value is UNCHANGED:
                self._warn_toast(target.table)
            else:
                assert isinstance(value, str)
                parts.append(name + convert(value))
        parts.append(b'"_ab_cdc_lsn":' + str(lsn).encode())
        parts.append(b'"_ab_cdc_updated_at":' + self._commit_time)
        parts.append(b'"_ab_cdc_deleted_at":' + (self._commit_time if deleted else b"null"))
        return b"{" + b",".join(parts) + b"}"

    def _warn_toast(self, table: Table) -> None:
        if table.label not in self._warned_toast:
            self._warned_toast.add(table.label)
            logger.warning(
                "Table %s: an update left a large (TOASTed) value unchanged, so the log does not carry it and the "
                "record omits that column. `ALTER TABLE %s REPLICA IDENTITY FULL;` makes the log carry it.",
                table.label,
                table.qualified,
            )
