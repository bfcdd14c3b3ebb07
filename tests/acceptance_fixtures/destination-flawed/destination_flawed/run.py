"""Entry point of the flawed destination fixture."""

from __future__ import annotations

import os

from dockyard_runtime import entrypoint


def run() -> None:
    package = "destination_flawed.no_sync_modes" if os.environ.get("DOCKYARD_FLAW") == "no_sync_modes" else __package__
    entrypoint.run("destination_flawed.destination:DestinationFlawed", kind="destination", spec_package=package)
