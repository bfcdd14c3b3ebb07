"""Opening connections: libpq parameters from the config, session settings, and errors a user can act on.

psycopg2 is imported here, not at module import, so `spec` never loads the driver.
"""

from __future__ import annotations

from typing import Any

from dockyard_runtime import postgres
from dockyard_runtime.errors import ConfigError, TransientError

from source_postgres.config import PostgresConfig
from source_postgres.types import SESSION_SETTINGS


def connect_kwargs(config: PostgresConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "dbname": config.database,
        "user": config.username,
        "sslmode": config.ssl_mode,
        "connect_timeout": config.connect_timeout,
        "application_name": "dockyard-source-postgres",
    }
    if config.password:
        kwargs["password"] = config.password
    return kwargs


def connect(config: PostgresConfig) -> Any:
    """An open psycopg2 connection with our session settings; failures become ConfigError or TransientError."""
    import psycopg2

    try:
        conn = psycopg2.connect(**connect_kwargs(config))
    except psycopg2.OperationalError as exc:
        raise connection_error(exc, config) from None
    with conn.cursor() as cur:
        for name, value in SESSION_SETTINGS.items():
            cur.execute("SELECT set_config(%s, %s, false)", (name, value))
    conn.commit()
    return conn


def connection_error(exc: Exception, config: PostgresConfig) -> ConfigError | TransientError:
    """Classify a connection failure: wrong credentials/database are config errors, the rest may pass."""
    context = {"host": config.host, "port": config.port, "database": config.database, "username": config.username}
    return postgres.connection_error(exc, context)
