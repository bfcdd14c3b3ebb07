"""Read back what landed, for tests and the `dockyard` CLI (the acceptance suite's reader hook)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard_runtime.sql.names import normalize

from destination_duckdb.client import connect


def read_table(config: Mapping[str, Any], stream: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """Every row of a stream's final table as dicts (column name -> value), in no guaranteed order."""
    connection = connect(str(config["destination_path"]))
    try:
        schema = normalize(namespace or str(config.get("schema") or "main"))
        table = normalize(stream)
        cursor = connection.execute(f'SELECT * FROM "{schema}"."{table}"')
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
