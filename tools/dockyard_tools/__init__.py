"""Dockyard's developer toolkit (never installed in connector images)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONNECTORS_DIR = REPO_ROOT / "connectors"
