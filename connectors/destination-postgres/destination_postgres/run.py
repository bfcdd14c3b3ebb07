"""Console script and `main.py` entry: everything else happens in the shared runtime."""

from __future__ import annotations

from dockyard_runtime import entrypoint


def run() -> None:
    entrypoint.run("destination_postgres.destination:DestinationPostgres", kind="destination", spec_package=__package__)
