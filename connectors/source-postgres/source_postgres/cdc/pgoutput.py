"""Decoding pgoutput (protocol version 1) messages, as returned by `pg_logical_slot_peek_binary_changes`.

Only what a source needs: Begin, Commit, Relation, Insert, Update, Delete and Truncate; Origin, Type and
logical Message are recognised and skipped. Column values arrive in text format (the protocol's default),
NULL, or "unchanged TOAST" (an update that did not touch a large value, which the log does not repeat).
Reference: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=timezone.utc)


class _Unchanged:
    """An unchanged TOASTed value: present in the row, absent from the log."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()
Value = str | None | _Unchanged


class PgOutputError(ValueError):
    """A message this decoder cannot read (a newer protocol version or a corrupt payload)."""


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True)
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_time: datetime


@dataclass(frozen=True)
class RelationColumn:
    name: str
    type_oid: int
    is_key: bool


@dataclass(frozen=True)
class Relation:
    relation_id: int
    namespace: str
    name: str
    replica_identity: str
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True)
class Insert:
    relation_id: int
    new: tuple[Value, ...]


@dataclass(frozen=True)
class Update:
    relation_id: int
    old: tuple[Value, ...] | None
    new: tuple[Value, ...]


@dataclass(frozen=True)
class Delete:
    relation_id: int
    old: tuple[Value, ...]
    key_only: bool


@dataclass(frozen=True)
class Truncate:
    relation_ids: tuple[int, ...]


@dataclass(frozen=True)
class Skipped:
    """Origin, Type and logical-decoding Message: nothing a source emits."""

    kind: str


Message = Begin | Commit | Relation | Insert | Update | Delete | Truncate | Skipped


def lsn_to_int(text: str) -> int:
    """'16/B374D848' -> 0x16B374D848."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def lsn_to_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def pg_time(microseconds: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=microseconds)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise PgOutputError("pgoutput message is truncated")
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return int(value)

    def byte(self) -> str:
        return chr(self.take("!B"))

    def string(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise PgOutputError("pgoutput string is not terminated")
        text = self.data[self.pos : end].decode()
        self.pos = end + 1
        return text

    def tuple_data(self) -> tuple[Value, ...]:
        values: list[Value] = []
        for _ in range(self.take("!H")):
            kind = self.byte()
            if kind == "n":
                values.append(None)
            elif kind == "u":
                values.append(UNCHANGED)
            elif kind in ("t", "b"):
                length = self.take("!I")
                raw = self.data[self.pos : self.pos + length]
                self.pos += length
                values.append(raw.decode())
            else:
                raise PgOutputError(f"unknown tuple value kind {kind!r}")
        return tuple(values)


def decode(data: bytes | memoryview) -> Message:
    """One pgoutput message."""
    if not data:
        raise PgOutputError("empty pgoutput message")
    reader = _Reader(bytes(data))
    tag = reader.byte()
    if tag == "B":
        final_lsn = reader.take("!Q")
        return Begin(final_lsn, pg_time(reader.take("!q")), reader.take("!I"))
    if tag == "C":
        reader.take("!B")  # flags, unused
        commit_lsn = reader.take("!Q")
        end_lsn = reader.take("!Q")
        return Commit(commit_lsn, end_lsn, pg_time(reader.take("!q")))
    if tag == "R":
        relation_id = reader.take("!I")
        namespace = reader.string()
        name = reader.string()
        identity = reader.byte()
        columns = []
        for _ in range(reader.take("!H")):
            flags = reader.take("!B")
            column_name = reader.string()
            type_oid = reader.take("!I")
            reader.take("!i")  # typmod
            columns.append(RelationColumn(column_name, type_oid, bool(flags & 1)))
        return Relation(relation_id, namespace, name, identity, tuple(columns))
    if tag == "I":
        relation_id = reader.take("!I")
        if reader.byte() != "N":
            raise PgOutputError("Insert without a new tuple")
        return Insert(relation_id, reader.tuple_data())
    if tag == "U":
        relation_id = reader.take("!I")
        marker = reader.byte()
        old = None
        if marker in ("K", "O"):
            old = reader.tuple_data()
            marker = reader.byte()
        if marker != "N":
            raise PgOutputError("Update without a new tuple")
        return Update(relation_id, old, reader.tuple_data())
    if tag == "D":
        relation_id = reader.take("!I")
        marker = reader.byte()
        if marker not in ("K", "O"):
            raise PgOutputError("Delete without an old tuple")
        return Delete(relation_id, reader.tuple_data(), key_only=marker == "K")
    if tag == "T":
        count = reader.take("!I")
        reader.take("!B")  # options (CASCADE / RESTART IDENTITY)
        return Truncate(tuple(reader.take("!I") for _ in range(count)))
    if tag in ("O", "Y", "M"):
        return Skipped(tag)
    raise PgOutputError(f"unknown pgoutput message type {tag!r}")
