"""The reader hook: every row of a stream, `_airbyte_*` columns included."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from destination_flawed.store import connect


def read_table(config: Mapping[str, Any], stream: str, namespace: str | None = None) -> list[dict[str, Any]]:
    connection = connect(str(config["path"]))
    try:
        rows = connection.execute(
            "SELECT data, meta, generation, raw_id, extracted_at FROM rows WHERE stream = ? AND namespace IS ?",
            (stream, namespace),
        ).fetchall()
    finally:
        connection.close()
    return [
        {
            **json.loads(data),
            "_airbyte_meta": meta,
            "_airbyte_generation_id": generation,
            "_airbyte_raw_id": raw_id,
            "_airbyte_extracted_at": extracted_at,
        }
        for data, meta, generation, raw_id, extracted_at in rows
    ]
