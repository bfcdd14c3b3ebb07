"""The console-script, `main.py` and Docker entrypoint of the connector."""

from __future__ import annotations

from dockyard_runtime import entrypoint


def run() -> None:
    entrypoint.run("source_faker.source:SourceFaker", kind="source", spec_package="source_faker")
