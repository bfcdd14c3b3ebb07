"""The destination's config as typed values, and the libpq parameters it implies.

`jdbc_url_params` exists because users migrate configs from JDBC-based destinations: each JDBC parameter that
has a libpq equivalent is translated; the rest are ignored with a warning naming the key (never the value,
which may be a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from dockyard_runtime.errors import ConfigError
from dockyard_runtime.logs import get_logger

logger = get_logger("postgres")

# libpq keywords a user may pass through unchanged.
LIBPQ_KEYWORDS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "krbsrvname",
        "options",
        "sslcert",
        "sslcompression",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslpassword",
        "sslrootcert",
        "sslsni",
        "target_session_attrs",
        "tcp_user_timeout",
    }
)
# JDBC (pgjdbc) names whose meaning libpq has under another name.
JDBC_RENAMES = {
    "connecttimeout": "connect_timeout",
    "logintimeout": "connect_timeout",
    "applicationname": "application_name",
    "sslfactory": "",  # a Java class: meaningless here, ignored silently
}
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def parse_jdbc_params(text: str) -> dict[str, str]:
    """libpq keyword arguments from 'key=value&key2=value2'; unknown keys are logged and dropped."""
    params: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split("&"))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                "Config field 'jdbc_url_params' must be 'key=value' pairs joined by '&'.", context={"pair": key}
            )
        key, value = unquote(key.strip()), unquote(value.strip())
        lowered = key.lower()
        if key in LIBPQ_KEYWORDS:
            params[key] = value
        elif lowered in JDBC_RENAMES:
            if JDBC_RENAMES[lowered]:
                params[JDBC_RENAMES[lowered]] = value
        elif lowered == "ssl":
            if value.lower() == "true":
                params["sslmode"] = "require"
        elif lowered == "currentschema":
            params["options"] = (params.get("options", "") + f" -c search_path={value}").strip()
        elif lowered == "tcpkeepalive":
            params["keepalives"] = "1" if value.lower() == "true" else "0"
        else:
            logger.warning("Ignoring jdbc_url_params key '%s': it has no libpq equivalent.", key)
    if "sslmode" in params and params["sslmode"] not in SSL_MODES:
        raise ConfigError(
            f"Unknown sslmode in jdbc_url_params (expected: {', '.join(SSL_MODES)}).",
            context={"sslmode": params["sslmode"]},
        )
    return params


@dataclass(frozen=True)
class PostgresConfig:
    host: str
    database: str
    username: str
    port: int = 5432
    password: str | None = None
    schema: str = "public"
    ssl_mode: str = "prefer"
    extra_params: Mapping[str, str] = field(default_factory=dict)
    number_type: str = "numeric"
    unique_conflict_method: str = "update"
    hard_delete_cdc: bool = True
    schema_change_policy: str = "evolve"
    drop_cascade: bool = False

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> PostgresConfig:
        """Build from a config the entrypoint has already validated against spec.json."""
        return cls(
            host=str(config["host"]),
            port=int(config.get("port") or 5432),
            database=str(config["database"]),
            username=str(config["username"]),
            password=config.get("password") or None,
            schema=str(config.get("schema") or "public"),
            ssl_mode=str(config.get("ssl_mode") or "prefer"),
            extra_params=parse_jdbc_params(str(config.get("jdbc_url_params") or "")),
            number_type=str(config.get("number_type") or "numeric"),
            unique_conflict_method=str(config.get("unique_conflict_method") or "update"),
            hard_delete_cdc=(config.get("cdc_deletion_mode") or "hard_delete") == "hard_delete",
            schema_change_policy=str(config.get("schema_change_policy") or "evolve"),
            drop_cascade=bool(config.get("drop_cascade")),
        )

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for psycopg2.connect; extra parameters override the defaults set here."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": self.username,
            "sslmode": self.ssl_mode,
            "connect_timeout": 10,
            "application_name": "dockyard-destination-postgres",
        }
        if self.password:
            kwargs["password"] = self.password
        kwargs.update(self.extra_params)
        return kwargs

    def context(self) -> dict[str, Any]:
        """Facts for error messages (no secret among them)."""
        return {"host": self.host, "port": self.port, "database": self.database, "username": self.username}
