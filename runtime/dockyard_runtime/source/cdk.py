"""Running an Airbyte CDK source under Dockyard's entrypoint.

Sources are written on the CDK's classes (AbstractSource and its streams); this mixin lets the Dockyard
entrypoint drive them with the CDK's own command handling, after Dockyard's config validation and secret
registration have run.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint

from dockyard_runtime import protocol, secrets


class CdkSourceCommands:
    """Mixin for an `airbyte_cdk.Source` subclass: `check`, `discover` and `read` via AirbyteEntrypoint."""

    def run_command(self, args: argparse.Namespace, config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
        entrypoint = AirbyteEntrypoint(self)  # type: ignore[arg-type]
        out = protocol.output()
        for line in entrypoint.run(args):
            if not line.startswith('{"type":"RECORD"'):
                line = secrets.mask(line)  # records are data; every other message may quote the config
            out.write(line.encode() + b"\n")
