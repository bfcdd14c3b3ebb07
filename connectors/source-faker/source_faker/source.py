"""The Faker source: three streams of deterministic fake data on Dockyard's fast read path."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from dockyard_runtime.source.fast import ConfiguredStream, FastSource, ReadItem, StreamDefinition

from source_faker.reader import CURSOR, read_records
from source_faker.settings import FakerSettings

STREAMS = ("users", "products", "purchases")


@cache
def json_schema(stream: str) -> dict[str, Any]:
    text = resources.files("source_faker").joinpath("schemas", f"{stream}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class SourceFaker(FastSource):
    def streams(self, config: Mapping[str, Any]) -> list[StreamDefinition]:
        return [
            StreamDefinition(name, json_schema(name), primary_key=[["id"]], cursor_field=[CURSOR]) for name in STREAMS
        ]

    def check_connection(self, config: Mapping[str, Any]) -> None:
        FakerSettings.from_config(config)  # there is nothing to connect to; a valid config is all it takes

    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        return read_records(stream.name, FakerSettings.from_config(config), state)
