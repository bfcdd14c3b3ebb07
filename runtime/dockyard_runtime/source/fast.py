"""A fast read path for Python sources that generate or fetch plain dicts.

The Airbyte CDK builds a message object per record and serializes it field by field; at hundreds of thousands
of records per second that, not the source, is the bottleneck. A `FastSource` yields batches of plain dicts
instead, and `RecordWriter` turns a whole batch into protocol lines with one orjson call per record.

Everything around the records is written once here: the configured catalog and the state are checked in full
before the first record (`inputs`), checkpoints become per-stream STATE messages carrying the record count since
the previous one, and stream status traces bracket every stream.
"""

from __future__ import annotations

import argparse
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dockyard_runtime import protocol
from dockyard_runtime.config import read_json_file
from dockyard_runtime.errors import DockyardError, FatalError
from dockyard_runtime.heap import keep_heap_pages
from dockyard_runtime.source.inputs import parse_catalog, parse_state
from dockyard_runtime.source.streams import Checkpoint, ConfiguredStream, ReadItem, Record, StreamDefinition
from dockyard_runtime.source.writer import RecordWriter

__all__ = [
    "Checkpoint",
    "ConfiguredStream",
    "FastSource",
    "ReadItem",
    "Record",
    "RecordWriter",
    "StreamDefinition",
]

logger = logging.getLogger("dockyard.source")

_SINGLES_PER_BATCH = 1000


class FastSource(ABC):
    """Base for sources whose records are plain dicts, driven by the Dockyard entrypoint.

    Subclasses implement `streams` and `read_stream`; `check_connection` defaults to building the streams.
    `json_default` is handed to orjson for values it cannot serialize natively (e.g. Decimal).
    """

    json_default: Callable[[Any], Any] | None = None

    @abstractmethod
    def streams(self, config: Mapping[str, Any]) -> Sequence[StreamDefinition]:
        """The streams this config offers, in discover order."""

    @abstractmethod
    def read_stream(
        self, config: Mapping[str, Any], stream: ConfiguredStream, state: Mapping[str, Any] | None
    ) -> Iterable[ReadItem]:
        """Records of one stream, with checkpoints; `state` is None for full refresh or a first sync."""

    def check_connection(self, config: Mapping[str, Any]) -> None:
        """Raise a DockyardError whose message tells the user what is wrong; return when all is well."""
        self.streams(config)

    def run_command(self, args: argparse.Namespace, config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        if args.command == "check":
            self.check(config)
        elif args.command == "discover":
            self.discover(config)
        elif args.command == "read":
            catalog = read_json_file(args.catalog, what="catalog")
            state = read_json_file(args.state, what="state") if args.state else None
            self.read(config, catalog, state)
        else:  # pragma: no cover - the entrypoint's parser allows no other command
            raise FatalError(f"Unknown command '{args.command}' (expected: check, discover, read).")

    def check(self, config: Mapping[str, Any]) -> None:
        try:
            self.check_connection(config)
        except DockyardError as exc:
            protocol.emit(protocol.connection_status(False, exc.render()))
            return
        protocol.emit(protocol.connection_status(True))

    def discover(self, config: Mapping[str, Any]) -> None:
        streams = [definition.to_airbyte() for definition in self.streams(config)]
        protocol.emit({"type": "CATALOG", "catalog": {"streams": streams}})

    def read(self, config: Mapping[str, Any], catalog: Any, state: Any) -> None:
        """Validate the catalog and state in full, then read every configured stream in catalog order."""
        configured = parse_catalog(catalog, self.streams(config))
        states = parse_state(state)
        known = {(c.definition.namespace, c.name) for c in configured}
        for namespace, name in states.keys() - known:
            logger.info("Ignoring the state of stream '%s' (namespace %s): not in the catalog.", name, namespace)
        keep_heap_pages()
        writer = RecordWriter(protocol.output(), json_default=type(self).json_default)  # unbound, not a method
        try:
            for stream in configured:
                stream_state = states.get((stream.definition.namespace, stream.name)) if stream.incremental else None
                self._read_one(config, stream, stream_state, writer)
        finally:
            writer.flush()

    def _read_one(
        self,
        config: Mapping[str, Any],
        stream: ConfiguredStream,
        state: Mapping[str, Any] | None,
        writer: RecordWriter,
    ) -> None:
        definition = stream.definition
        writer.write_status(definition, "STARTED")
        total = since_checkpoint = 0
        singles: list[Record] = []
        running = False
        try:
            for item in self.read_stream(config, stream, state):
                if isinstance(item, Checkpoint):
                    if singles:
                        since_checkpoint += writer.write_records(definition, singles)
                        singles = []
                    writer.write_state(definition, item.state, since_checkpoint)
                    total += since_checkpoint
                    since_checkpoint = 0
                    continue
                if not running:
                    writer.write_status(definition, "RUNNING")
                    running = True
                if isinstance(item, dict):
                    singles.append(item)
                    if len(singles) >= _SINGLES_PER_BATCH:
                        since_checkpoint += writer.write_records(definition, singles)
                        singles = []
                else:
                    if singles:
                        since_checkpoint += writer.write_records(definition, singles)
                        singles = []
                    since_checkpoint += writer.write_records(definition, item)
            if singles:
                since_checkpoint += writer.write_records(definition, singles)
        except BaseException:
            writer.write_status(definition, "INCOMPLETE")
            raise
        total += since_checkpoint
        writer.write_status(definition, "COMPLETE")
        writer.flush()  # so the log line below follows this stream's records
        logger.info("Read %d records from stream '%s' (%s).", total, stream.name, stream.sync_mode)
