"""The connector's config as typed values, with the defaults the spec documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_CHECKPOINT_RECORDS = 10_000
DEFAULT_PAGE_SIZE = 1_000_000


@dataclass(frozen=True)
class CdcSettings:
    """Logical replication settings; `invalid_cursor_policy` says what to do when the saved LSN is gone."""

    replication_slot: str
    publication: str
    lsn_commit_behaviour: str = "after_loading"
    invalid_cursor_policy: str = "fail"


@dataclass(frozen=True)
class PostgresConfig:
    host: str
    port: int
    database: str
    username: str
    password: str | None
    schemas: tuple[str, ...] = ()
    ssl_mode: str = "prefer"
    batch_size: int = DEFAULT_BATCH_SIZE
    checkpoint_records: int = DEFAULT_CHECKPOINT_RECORDS
    page_size: int = DEFAULT_PAGE_SIZE
    cdc: CdcSettings | None = None
    connect_timeout: int = 10

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> PostgresConfig:
        """Build from a config the entrypoint has already validated against spec.json."""
        method = config.get("replication_method") or {"method": "Standard"}
        cdc = None
        if method.get("method") == "CDC":
            cdc = CdcSettings(
                replication_slot=method["replication_slot"],
                publication=method["publication"],
                lsn_commit_behaviour=method.get("lsn_commit_behaviour", "after_loading"),
                invalid_cursor_policy=method.get("invalid_cursor_policy", "fail"),
            )
        return cls(
            host=config["host"],
            port=int(config.get("port", 5432)),
            database=config["database"],
            username=config["username"],
            password=config.get("password"),
            schemas=tuple(config.get("schemas") or ()),
            ssl_mode=config.get("ssl_mode", "prefer"),
            batch_size=int(config.get("batch_size", DEFAULT_BATCH_SIZE)),
            checkpoint_records=int(config.get("checkpoint_records", DEFAULT_CHECKPOINT_RECORDS)),
            page_size=int(config.get("page_size", DEFAULT_PAGE_SIZE)),
            cdc=cdc,
        )

    @property
    def fetch_size(self) -> int:
        """Rows per fetch: never more than a checkpoint interval, so states come at least that often."""
        return max(1, min(self.batch_size, self.checkpoint_records))

    def checkpoint_due(self, since_checkpoint: int) -> bool:
        """Checkpoint now if the next fetch could take the stream past `checkpoint_records` without one."""
        return since_checkpoint + self.fetch_size > self.checkpoint_records
