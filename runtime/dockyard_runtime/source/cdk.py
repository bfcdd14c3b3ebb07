"""Running an Airbyte CDK source under Dockyard's entrypoint.

Sources are written on the CDK's classes (AbstractSource and its streams); this mixin lets the Dockyard
entrypoint drive them with the CDK's own command handling, after Dockyard's config validation and secret
registration have run.

Two CDK habits are corrected here rather than in every connector: the CDK skips a configured stream the
source does not have (marking it INCOMPLETE and reading the rest), so a `read` checks the catalog first; and
importing the CDK swaps the root logger's handler for its own, which writes every traceback into LOG
messages, so the Dockyard handler is put back (tracebacks only with --debug).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint

from dockyard_runtime import logs, protocol, secrets
from dockyard_runtime.config import read_json_file
from dockyard_runtime.errors import ConfigError


def check_catalog_streams(catalog: Any, offered: Iterable[str]) -> None:
    """Refuse a configured catalog naming a stream the source does not offer, before anything is read.

    Streams match by name alone, as the CDK matches them.
    """
    entries = catalog.get("streams") if isinstance(catalog, Mapping) else None
    if not isinstance(entries, list):
        raise ConfigError("The configured catalog must be a JSON object with a 'streams' list.")
    known = sorted(set(offered))
    for index, entry in enumerate(entries):
        stream = entry.get("stream") if isinstance(entry, Mapping) else None
        name = stream.get("name") if isinstance(stream, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"Configured catalog entry streams[{index}] must be an object with a 'stream' object that has a 'name'."
            )
        if name not in known:
            expected = ", ".join(known) or "(none)"
            raise ConfigError(f"Unknown stream '{name}' in the configured catalog (expected one of: {expected}).")


class CdkSourceCommands:
    """Mixin for an `airbyte_cdk.Source` subclass: `check`, `discover` and `read` via AirbyteEntrypoint."""

    def run_command(self, args: argparse.Namespace, config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        logs.install(logging.getLogger().level)  # the CDK's import replaced the Dockyard handler
        if args.command == "read":
            check_catalog_streams(read_json_file(args.catalog, what="catalog"), self.offered_stream_names(config))
        entrypoint = AirbyteEntrypoint(self)  # type: ignore[arg-type]
        out = protocol.output()
        for line in entrypoint.run(args):
            if not line.startswith('{"type":"RECORD"'):
                line = secrets.mask(line)  # records are data; every other message may quote the config
            out.write(line.encode() + b"\n")

    def offered_stream_names(self, config: Mapping[str, Any]) -> list[str]:
        """Names of the streams a `read` may ask for: the source's `streams()`, or what it discovers."""
        streams = getattr(self, "streams", None)
        if callable(streams):
            return [stream.name for stream in streams(config)]
        catalog = self.discover(logging.getLogger("airbyte"), config)  # type: ignore[attr-defined]
        return [stream.name for stream in catalog.streams]
