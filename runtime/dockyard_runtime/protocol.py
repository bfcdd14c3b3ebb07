"""Writing Airbyte protocol messages to stdout, fast and with secrets masked.

Stdout is the protocol channel: nothing else in a connector may write to it. Messages are serialized with
orjson from plain dicts; the hot paths (records, echoed states) write pre-built bytes through `emit_raw`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import IO, Any

import orjson

from dockyard_runtime import secrets

_out: IO[bytes] = sys.stdout.buffer


def set_output(stream: IO[bytes]) -> None:
    """Redirect protocol output (tests and in-process runners)."""
    global _out
    _out = stream


def output() -> IO[bytes]:
    return _out


_DATA_MESSAGES = ("RECORD", "STATE")


def now_ms() -> int:
    return int(time.time() * 1000)


def dumps(message: Mapping[str, Any]) -> bytes:
    """One protocol line, with registered secrets masked.

    RECORD and STATE messages are data, not text about the config: masking them would corrupt a value that
    happens to contain a secret's characters (a cursor "12" when a password is "12") and lose it silently.
    """
    if secrets.active() and message.get("type") not in _DATA_MESSAGES:
        message = secrets.mask_value(message)
    return orjson.dumps(message) + b"\n"


def emit(message: Mapping[str, Any]) -> None:
    _out.write(dumps(message))
    _out.flush()


def emit_raw(lines: bytes) -> None:
    """Write already-serialized lines (caller guarantees they hold no secret)."""
    _out.write(lines)


def flush() -> None:
    _out.flush()


def log(level: str, message: str) -> None:
    emit({"type": "LOG", "log": {"level": level, "message": message}})


def error_trace(message: str, *, failure_type: str, internal_message: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "failure_type": failure_type}
    if internal_message:
        error["internal_message"] = internal_message
    return {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": float(now_ms()), "error": error}}


def connection_status(succeeded: bool, message: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"status": "SUCCEEDED" if succeeded else "FAILED"}
    if message:
        status["message"] = message
    return {"type": "CONNECTION_STATUS", "connectionStatus": status}
