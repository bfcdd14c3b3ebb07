"""Base class for destinations: a connector supplies `check_connection` and `create_loader`, nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

from dockyard_runtime import protocol
from dockyard_runtime.config import read_json_file
from dockyard_runtime.destination.catalog import StreamConfig, StreamKey, parse_catalog
from dockyard_runtime.destination.loader import Loader
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.destination.write import WriteLoop
from dockyard_runtime.errors import DockyardError
from dockyard_runtime.heap import keep_heap_pages

INPUT_BUFFER = 1 << 20


class DockyardDestination:
    """Runs `check` and `write` for a destination; subclasses implement the two hooks below."""

    def check_connection(self, config: Mapping[str, Any]) -> str | None:
        """Return None when the destination is usable, else a message saying what failed."""
        raise NotImplementedError

    def create_loader(self, config: Mapping[str, Any], streams: Mapping[StreamKey, StreamConfig]) -> Loader:
        raise NotImplementedError

    def run_command(self, args: argparse.Namespace, config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        if args.command == "check":
            try:
                problem = self.check_connection(config)
            except DockyardError as exc:
                problem = exc.render()
            protocol.emit(protocol.connection_status(problem is None, problem))
        elif args.command == "write":
            with open(sys.stdin.fileno(), "rb", buffering=INPUT_BUFFER, closefd=False) as stdin:
                self.write(config, read_json_file(args.catalog, what="catalog"), stdin, protocol.output())
        else:  # argparse only offers the commands above
            raise DockyardError(f"Unknown command '{args.command}' (expected: spec, check, write).")

    def write(self, config: Mapping[str, Any], catalog: Any, lines: Iterable[bytes], out: IO[bytes]) -> int:
        """Load `lines` (protocol messages) into the destination; returns the number of records committed."""
        streams = parse_catalog(catalog)
        keep_heap_pages()
        loader = self.create_loader(config, streams)
        return WriteLoop(loader, streams, out, WriteSettings.from_config(config)).run(lines)
