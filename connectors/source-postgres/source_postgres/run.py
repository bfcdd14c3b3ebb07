"""Console script and Docker entrypoint of source-postgres."""

from __future__ import annotations

from dockyard_runtime import entrypoint


def run() -> None:
    entrypoint.run("source_postgres.source:SourcePostgres", kind="source", spec_package="source_postgres")
