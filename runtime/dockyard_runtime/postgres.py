"""What every PostgreSQL connector needs to say about a failed connection, decided once.

Wrong credentials, a missing database or a refused TLS setup will fail again on retry (config errors); anything
else (a server restarting, a network blip) may pass (transient). Drivers are not imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard_runtime.errors import ConfigError, TransientError

CONFIG_PROBLEMS = (
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied",
    "server does not support ssl",
    "certificate",
    "could not translate host name",
    "invalid sslmode",
    "invalid connection option",
)


def first_line(exc: BaseException) -> str:
    """The driver's message without its multi-line detail (which may quote the connection string)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connection_error(exc: BaseException, context: Mapping[str, Any]) -> ConfigError | TransientError:
    """Classify a failed connection attempt; the message names the server's reason."""
    message = first_line(exc)
    error = ConfigError if any(p in message.lower() for p in CONFIG_PROBLEMS) else TransientError
    return error(f"Could not connect to PostgreSQL: {message}", context=context)
