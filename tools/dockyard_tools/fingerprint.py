"""Content digests of what goes into an image, so an image is rebuilt only when one of its inputs changed.

A digest covers file paths and bytes (never mtimes), so touching a file or checking out the same tree elsewhere
keeps the image; tests, sample files, caches and build outputs are left out because they never reach an image.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".venv",
        "build",
        "dist",
        "secrets",
        "tests",
        "unit_tests",
        "integration_tests",
        "sample_files",
    }
)
IGNORED_SUFFIXES = (".pyc", ".pyo", ".duckdb", ".wal", ".log")


def tree_files(root: Path) -> list[Path]:
    """Files under `root` that can reach an image, in a stable order."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.endswith(".egg-info"))
        found.extend(Path(directory, name) for name in sorted(filenames) if not name.endswith(IGNORED_SUFFIXES))
    return found


def digest(*, trees: Iterable[Path] = (), files: Iterable[Path] = (), values: Iterable[str] = ()) -> str:
    """sha256 over the relative paths and bytes of every file in `trees`, the given `files`, then `values`."""
    h = hashlib.sha256()
    for root in trees:
        h.update(f"tree:{root.name}\0".encode())
        for path in tree_files(root):
            h.update(_file_record(path.relative_to(root).as_posix(), path))
    for path in files:
        h.update(_file_record(path.name, path))
    for value in values:
        h.update(f"value:{value}\0".encode())
    return h.hexdigest()


def _file_record(name: str, path: Path) -> bytes:
    return f"file:{name}\0".encode() + hashlib.sha256(path.read_bytes()).digest()
