"""Finding connectors in the repo and the command line that runs each one's Python entrypoint."""

from __future__ import annotations

import sys
from pathlib import Path

from dockyard_tools import CONNECTORS_DIR


class UnknownConnectorError(Exception):
    pass


def connector_names() -> list[str]:
    return sorted(p.name for p in CONNECTORS_DIR.iterdir() if (p / "main.py").is_file())


def connector_dir(name: str) -> Path:
    path = CONNECTORS_DIR / name
    if not (path / "main.py").is_file():
        known = ", ".join(connector_names())
        raise UnknownConnectorError(f"Unknown connector '{name}' (expected one of: {known}).")
    return path


def python_command(name: str) -> list[str]:
    """The same command the image runs, on this virtualenv's Python."""
    return [sys.executable, str(connector_dir(name) / "main.py")]
