"""Entry point: the flaw `secret_not_flagged` / `invalid_spec_schema` swaps in a spec that breaks the rule."""

from __future__ import annotations

import os

from dockyard_runtime import entrypoint

SPECS = {"secret_not_flagged": "source_flawed.unflagged", "invalid_spec_schema": "source_flawed.bad_schema"}


def run() -> None:
    package = SPECS.get(os.environ.get("DOCKYARD_FLAW", ""), "source_flawed")
    entrypoint.run("source_flawed.source:SourceFlawed", kind="source", spec_package=package)
