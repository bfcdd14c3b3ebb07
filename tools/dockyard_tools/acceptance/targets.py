"""Building a `Target` (connector + runner + config loader) for one test, and the images behind Docker runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import AcceptanceConfig
from dockyard_tools.acceptance.runners import DockerRunner, PythonRunner, Runner

RUNNERS = ("python", "docker")
_images: dict[tuple[str, str], str | Exception] = {}


def image_for(connector: str, root: Path = CONNECTORS_DIR) -> str:
    """The connector's image tag, built at most once per session (`ensure_image` skips up-to-date images).

    A failure is remembered too, so a connector whose image cannot build fails each Docker test at once
    instead of rebuilding for every one of them.
    """
    key = (str(root), connector)
    if key not in _images:
        from dockyard_tools.images import ensure_image

        try:
            _images[key] = ensure_image(connector, root=root)
        except Exception as exc:  # DockerUnavailableError, ImageBuildError: reported by the caller
            _images[key] = exc
    found = _images[key]
    if isinstance(found, Exception):
        raise found
    return found


def read_config_file(path: Path) -> Any:
    """A config file's content: parsed JSON, or the raw text when it is deliberately not JSON."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError:
        return text


def config_loader(acceptance: AcceptanceConfig, overlay: Mapping[str, Any] | None) -> Callable[[str], Any]:
    """Config files as the connector gets them: a fixture's connection details first, the file's keys on top
    (so an invalid config can still override, say, the password)."""

    def load(relative: str) -> Any:
        content = read_config_file(acceptance.path(relative))
        if overlay is not None and isinstance(content, dict):
            return {**overlay, **content}
        return content

    return load


def build_target(
    acceptance: AcceptanceConfig,
    runner_name: str,
    workdir: Path,
    *,
    overlay: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Target:
    """A Target for `acceptance` on `runner_name` with files in `workdir`.

    A connector that talks to a service on this machine (a config fixture) runs with `--network host`; every
    other one runs with no network at all, which also proves the image needs none.
    """
    python = PythonRunner(acceptance.root, workdir / "work", env)
    runner: Runner = python
    reference = None
    if runner_name == "docker":
        network = "host" if acceptance.config_fixture else "none"
        runner = DockerRunner(
            image_for(acceptance.connector, acceptance.root.parent), workdir / "work", env, network=network
        )
        reference = python
    elif runner_name != "python":
        raise ValueError(f"Unknown runner '{runner_name}' (expected: {', '.join(RUNNERS)}).")
    return Target(acceptance, runner, config_loader(acceptance, overlay), reference)
