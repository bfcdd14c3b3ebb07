"""Connector Docker images, built offline: `build_images` for the CLI, `ensure_image` for tests and tools.

Each image is `dockyard/connector-base` (python + runtime + CDK, see base_image.py) plus one layer holding the
connector's own wheels, built from a small staging directory (`.build/images/<name>/`: the Dockerfile and those
wheels, nothing else). An image carries a digest of its inputs as a label; `ensure_image` rebuilds only when the
digest of the current sources differs, so calling it from every test session costs a few milliseconds.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
import yaml

from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.base_image import (
    BUILD_DIR,
    DIGEST_LABEL,
    DOCKER_DIR,
    DOCKERIGNORE,
    RUNTIME_DIR,
    ConnectorBase,
    ensure_connector_base,
)
from dockyard_tools.docker_engine import ImageBuildError, ImageError, build, client, inspect_image, retag
from dockyard_tools.fingerprint import digest
from dockyard_tools.wheelhouse import collect_wheels, local_name, stage_wheels

DOCKERFILE_TEMPLATE = DOCKER_DIR / "connector.Dockerfile.template"
STAGING_DIR = BUILD_DIR / "images"
STAMP = ".inputs-digest"  # in a staging dir: the digest it was staged for (.dockerignore keeps it out of the context)
_logger = logging.getLogger(__name__)
# ImageError is re-exported: it is what callers catch around build_images / ensure_image.
__all__ = [
    "ConnectorImage",
    "ImageError",
    "build_context",
    "build_images",
    "discover_connectors",
    "ensure_image",
    "image_digest",
    "image_problems",
    "load_connector",
    "render_dockerfile",
    "stage_connector",
]


@dataclass(frozen=True)
class ConnectorImage:
    """What a connector's metadata.yaml and pyproject.toml say about its image."""

    name: str
    path: Path
    connector_type: str  # "source" | "destination"
    repository: str  # metadata dockerRepository, e.g. dockyard/source-faker
    version: str  # metadata dockerImageTag
    tags: tuple[str, ...]  # metadata tags, e.g. ("language:python",)
    distribution: str  # pyproject project.name
    scripts: tuple[str, ...]  # pyproject console scripts

    @property
    def image(self) -> str:
        return f"{self.repository}:{self.version}"

    @property
    def dev_image(self) -> str:
        return f"{self.repository}:dev"

    @property
    def entrypoint(self) -> str:
        return f"/opt/connector/bin/{self.name}"


def discover_connectors(root: Path = CONNECTORS_DIR) -> list[str]:
    """Names of the connector directories that can become images (they have metadata.yaml and pyproject.toml)."""
    return sorted(
        p.name for p in root.iterdir() if (p / "metadata.yaml").is_file() and (p / "pyproject.toml").is_file()
    )


def load_connector(name: str, root: Path = CONNECTORS_DIR) -> ConnectorImage:
    path = root / name
    if not (path / "metadata.yaml").is_file():
        known = ", ".join(discover_connectors(root)) or "none"
        raise ImageBuildError(f"Unknown connector '{name}' (connectors with metadata.yaml: {known})")
    data = (yaml.safe_load((path / "metadata.yaml").read_text()) or {}).get("data") or {}
    with (path / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f).get("project", {})
    missing = [key for key in ("connectorType", "dockerRepository", "dockerImageTag") if not data.get(key)]
    if missing:
        raise ImageBuildError(f"{name}/metadata.yaml lacks data.{', data.'.join(missing)}")
    return ConnectorImage(
        name=name,
        path=path,
        connector_type=str(data["connectorType"]),
        repository=str(data["dockerRepository"]),
        version=str(data["dockerImageTag"]),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        distribution=str(project.get("name", "")),
        scripts=tuple(project.get("scripts") or ()),
    )


def render_dockerfile(name: str) -> str:
    """The Dockerfile every connector carries, from tools/docker/connector.Dockerfile.template."""
    return DOCKERFILE_TEMPLATE.read_text().replace("{{ name }}", name)


def image_problems(connector: ConnectorImage) -> list[str]:
    """Why the template's Dockerfile could not build a working image for `connector` (empty when it can)."""
    problems = []
    if not (connector.path / "Dockerfile").is_file():
        problems.append(f"{connector.name} has no Dockerfile (render one with images.render_dockerfile)")
    if connector.repository != f"dockyard/{connector.name}":
        problems.append(
            f"metadata dockerRepository is {connector.repository!r} (expected: 'dockyard/{connector.name}')"
        )
    if connector.distribution != connector.name:
        problems.append(f"pyproject project.name is {connector.distribution!r} (expected: {connector.name!r})")
    if connector.name not in connector.scripts:
        problems.append(f"pyproject has no console script {connector.name!r} (scripts: {list(connector.scripts)})")
    if connector.connector_type not in ("source", "destination"):
        problems.append(f"metadata connectorType is {connector.connector_type!r} (expected: source, destination)")
    return problems


def image_digest(connector: ConnectorImage, base: ConnectorBase) -> str:
    return digest(trees=[connector.path], values=[base.digest])


def build_context(connector: str, *, log: Callable[[str], None] = _logger.info, root: Path = CONNECTORS_DIR) -> Path:
    """The staging directory `connector`'s image is built from, for its current sources (staged again if stale)."""
    engine = client()
    with _build_lock():
        image = load_connector(connector, root)
        base = ensure_connector_base(engine, log=log)
        context = STAGING_DIR / image.name
        inputs = image_digest(image, base)
        stamp = context / STAMP
        if not stamp.is_file() or stamp.read_text() != inputs:
            context = stage_connector(image, base, log=log)
            stamp.write_text(inputs)
        return context


def stage_connector(connector: ConnectorImage, base: ConnectorBase, *, log: Callable[[str], None]) -> Path:
    """Assemble the build context: the connector's Dockerfile and the wheels the connector base lacks.

    Fails when the connector needs another version of a distribution the base has (see wheelhouse.stage_wheels).
    """
    context = STAGING_DIR / connector.name
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copyfile(connector.path / "Dockerfile", context / "Dockerfile")
    shutil.copyfile(DOCKERIGNORE, context / ".dockerignore")
    with tempfile.TemporaryDirectory(dir=BUILD_DIR, prefix="wheels-") as tmp:
        wheels = collect_wheels([RUNTIME_DIR, connector.path], Path(tmp), log=log)
        stage_wheels(wheels, context / "wheels", own={local_name(connector.path)}, installed=base.distributions)
    return context


def build_images(
    connectors: list[str] | None, *, log: Callable[[str], None], force: bool = False, root: Path = CONNECTORS_DIR
) -> list[str]:
    """Build (or confirm up to date) the image of each connector, every connector when none are named.

    Returns the version tags, e.g. ["dockyard/source-faker:0.1.0"]; each image is also tagged `:dev`.
    """
    names = connectors or discover_connectors(root)
    engine = client()
    with _build_lock():
        return [_ensure(engine, load_connector(name, root), force=force, log=log) for name in names]


def ensure_image(connector: str, *, log: Callable[[str], None] = _logger.info, root: Path = CONNECTORS_DIR) -> str:
    """The version tag of `connector`'s image, built first only if it is missing or its inputs changed."""
    engine = client()
    with _build_lock():
        return _ensure(engine, load_connector(connector, root), force=False, log=log)


def _ensure(engine: Any, connector: ConnectorImage, *, force: bool, log: Callable[[str], None]) -> str:
    problems = image_problems(connector)
    if problems:
        raise ImageBuildError(f"cannot build {connector.name}: " + "; ".join(problems))
    base = ensure_connector_base(engine, log=log)
    inputs = image_digest(connector, base)
    current = inspect_image(engine, connector.image)
    if not force and current is not None and current.labels.get(DIGEST_LABEL) == inputs:
        dev = inspect_image(engine, connector.dev_image)
        if dev is None or dev.id != current.id:
            retag(engine, current.id, connector.dev_image)
        log(f"{connector.image} is up to date")
        return connector.image
    log(f"building {connector.image}")
    context = stage_connector(connector, base, log=log)
    (context / STAMP).write_text(inputs)
    build(
        engine,
        context,
        tags=[connector.image, connector.dev_image],
        buildargs={"BASE_IMAGE": base.tag, "CONNECTOR_VERSION": connector.version},
        labels={DIGEST_LABEL: inputs},
        log=log,
        build_log=STAGING_DIR / f"{connector.name}.build.log",
    )
    log(f"built {connector.image} (also {connector.dev_image})")
    return connector.image


@contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time across processes (a CLI run and a test session), so neither sees a half-built base."""
    STAGING_DIR.mkdir(parents=True, exist_ok=True)
    with (STAGING_DIR / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
