"""The pgoutput decoder, on messages built byte by byte from the protocol documentation."""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import pytest
from source_postgres.cdc.pgoutput import (
    UNCHANGED,
    Begin,
    Commit,
    Delete,
    Insert,
    PgOutputError,
    Relation,
    RelationColumn,
    Skipped,
    Truncate,
    Update,
    decode,
    lsn_to_int,
    lsn_to_text,
)

TS = 757_382_400_000_000  # microseconds after 2000-01-01: 2024-01-01T00:00:00Z
WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _tuple(*values: str | object | None) -> bytes:
    out = struct.pack("!H", len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value is UNCHANGED:
            out += b"u"
        else:
            assert isinstance(value, str)
            raw = value.encode()
            out += b"t" + struct.pack("!I", len(raw)) + raw
    return out


def test_begin_and_commit() -> None:
    assert decode(b"B" + struct.pack("!QqI", 0x16B374D848, TS, 777)) == Begin(0x16B374D848, WHEN, 777)
    assert decode(b"C" + struct.pack("!BQQq", 0, 100, 200, TS)) == Commit(100, 200, WHEN)


def test_relation() -> None:
    body = struct.pack("!I", 16385) + b"public\0users\0" + b"d" + struct.pack("!H", 2)
    body += struct.pack("!B", 1) + b"id\0" + struct.pack("!Ii", 23, -1)
    body += struct.pack("!B", 0) + b"name\0" + struct.pack("!Ii", 25, -1)
    assert decode(b"R" + body) == Relation(
        16385, "public", "users", "d", (RelationColumn("id", 23, True), RelationColumn("name", 25, False))
    )


def test_insert_with_null_and_unicode() -> None:
    message = b"I" + struct.pack("!I", 7) + b"N" + _tuple("1", None, "héllo")
    assert decode(message) == Insert(7, ("1", None, "héllo"))


def test_update_with_and_without_old_tuple() -> None:
    plain = b"U" + struct.pack("!I", 7) + b"N" + _tuple("1", UNCHANGED)
    assert decode(plain) == Update(7, None, ("1", UNCHANGED))
    keyed = b"U" + struct.pack("!I", 7) + b"K" + _tuple("0", None) + b"N" + _tuple("1", "x")
    assert decode(keyed) == Update(7, ("0", None), ("1", "x"))
    full = b"U" + struct.pack("!I", 7) + b"O" + _tuple("1", "old") + b"N" + _tuple("1", "new")
    assert decode(full) == Update(7, ("1", "old"), ("1", "new"))


def test_delete_key_and_full() -> None:
    assert decode(b"D" + struct.pack("!I", 7) + b"K" + _tuple("5", None)) == Delete(7, ("5", None), key_only=True)
    assert decode(b"D" + struct.pack("!I", 7) + b"O" + _tuple("5", "x")) == Delete(7, ("5", "x"), key_only=False)


def test_truncate_and_skipped_messages() -> None:
    assert decode(b"T" + struct.pack("!IBII", 2, 0, 10, 11)) == Truncate((10, 11))
    assert decode(b"Y" + struct.pack("!I", 99) + b"public\0mood\0") == Skipped("Y")
    assert decode(b"O" + struct.pack("!Q", 1) + b"origin\0") == Skipped("O")


@pytest.mark.parametrize(
    "payload",
    [b"", b"Z", b"B\x00\x01", b"I" + struct.pack("!I", 1) + b"X", b"R" + struct.pack("!I", 1) + b"no-terminator"],
)
def test_malformed_messages_raise(payload: bytes) -> None:
    with pytest.raises(PgOutputError):
        decode(payload)


def test_memoryview_payloads_are_accepted() -> None:
    assert decode(memoryview(b"I" + struct.pack("!I", 1) + b"N" + _tuple("1"))) == Insert(1, ("1",))


def test_lsn_round_trip() -> None:
    assert lsn_to_int("16/B374D848") == 0x16B374D848
    assert lsn_to_text(0x16B374D848) == "16/B374D848"
    assert lsn_to_text(lsn_to_int("0/0")) == "0/0"
