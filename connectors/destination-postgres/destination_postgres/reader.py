"""Read back what landed, for tests and the `dockyard` CLI (the acceptance suite's reader hook)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard_runtime.sql.names import normalize

from destination_postgres.client import connect
from destination_postgres.config import PostgresConfig


def read_table(config: Mapping[str, Any], stream: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """Every row of a stream's final table as dicts (column name -> value), in no guaranteed order."""
    settings = PostgresConfig.from_mapping(config)
    connection = connect(settings)
    try:
        schema = normalize(namespace or settings.schema)
        table = normalize(stream)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT * FROM "{schema}"."{table}"')
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
