"""Two small streams on Dockyard's FastSource, each flaw breaking exactly one rule of the acceptance suite."""

from __future__ import annotations

import os
import random
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.fast import Checkpoint, ConfiguredStream, FastSource, ReadItem, StreamDefinition

TOKEN = "tok-FLAWED-SECRET-4242"
FLAW = os.environ.get("DOCKYARD_FLAW", "")
EPOCH = "2000-01-01T00:00:00+00:00"


def _schema(**properties: Any) -> dict[str, Any]:
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": properties}


ITEMS = _schema(
    id={"type": "integer"},
    name={"type": "string"},
    updated_at={"type": "string", "format": "date-time"},
)
TAGS = _schema(id={"type": "integer"}, label={"type": ["null", "string"]})


def _updated(i: int) -> str:
    return f"2024-01-{i:02d}T00:00:00+00:00"


class SourceFlawed(FastSource):
    def streams(self, config: Mapping[str, Any]) -> list[StreamDefinition]:
        items_schema = ITEMS
        if FLAW == "invalid_stream_schema":
            items_schema = _schema(id={"type": "integer", "minimum": "zero"})
        key = [["uid"]] if FLAW == "primary_key_not_in_schema" else [["id"]]
        return [
            StreamDefinition("items", items_schema, primary_key=key, cursor_field=["updated_at"]),
            StreamDefinition("tags", TAGS, primary_key=[["id"]]),
        ]

    def check_connection(self, config: Mapping[str, Any]) -> None:
        token = str(config["api_token"])
        if FLAW == "leaks_secret_on_stderr":
            sys.stderr.write(f"debug: connecting with token {token}\n")
        if FLAW == "crash_on_bad_config" and token != TOKEN:
            raise KeyError("api_base_url")
        if FLAW == "prints_to_stdout":
            print("checking the token...", flush=True)
        if FLAW == "refuses_valid_config" or token != TOKEN:
            raise ConfigError("The API token was refused (check it in the connector settings).")

    def read(self, config: Mapping[str, Any], catalog: Any, state: Any) -> None:
        if FLAW == "bad_catalog_ignored":
            known = {s.name for s in self.streams(config)}
            catalog = {"streams": [s for s in catalog["streams"] if s["stream"]["name"] in known]}
        if FLAW == "traceback_on_bad_catalog":
            try:
                super().read(config, catalog, state)
            except ConfigError:
                traceback.print_exc(file=sys.stdout)
                sys.stdout.flush()
            return
        super().read(config, catalog, state)

    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        count = int(config.get("count") or 6)
        if stream.name == "tags":
            if FLAW != "empty_stream":
                yield [{"id": i, "label": None if i % 2 else f"tag {i}"} for i in range(1, count + 1)]
            return
        yield from self._items(count, state if stream.incremental else None)

    def _items(self, count: int, state: Mapping[str, Any] | None) -> Iterable[ReadItem]:
        since = str((state or {}).get("updated_at") or EPOCH)
        if FLAW == "ignores_state":
            since = EPOCH
        if FLAW == "ignores_future_state" and since > _updated(count):
            since = EPOCH
        if state and FLAW == "state_goes_back":
            yield Checkpoint({"updated_at": EPOCH})
            return
        for i in range(1, count + 1):
            if _updated(i) <= since:
                continue
            item: dict[str, Any] = {"id": i, "name": f"item {i}", "updated_at": _updated(i)}
            if FLAW == "records_break_schema" and i == 3:
                item["id"] = "three"
            if FLAW == "golden_drift":
                item["name"] = item["name"].upper()
            if FLAW == "nondeterministic":
                item["name"] = f"item {random.random()}"
            yield item
            if i % 2 == 0 and FLAW != "no_state":
                yield Checkpoint({"updated_at": _updated(i)})
        if FLAW != "no_state":
            yield Checkpoint({"updated_at": max(since, _updated(count))})
