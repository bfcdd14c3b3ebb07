"""The two images under every connector image, built locally because no container registry is reachable.

- `dockyard/python-base:3.11-bookworm`: Debian bookworm + python3 from debootstrap (tools/docker/build-python-base.sh).
  `DOCKYARD_BASE_IMAGE=python:3.11-slim` uses a locally present official image instead.
- `dockyard/connector-base:<digest>` (and `:dev`): the python base plus a venv holding dockyard-runtime and its
  dependencies, so each connector build installs only its own wheels. Its tag is a digest of its inputs (runtime
  sources, constraints, Dockerfile, python base), so an unchanged runtime is never reinstalled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard_tools import REPO_ROOT
from dockyard_tools.docker_engine import ImageBuildError, ImageInfo, build, inspect_image, retag
from dockyard_tools.fingerprint import digest
from dockyard_tools.wheelhouse import CONSTRAINTS, collect_wheels, local_name, project_name, stage_wheels, wheel_version

PYTHON_BASE = "dockyard/python-base:3.11-bookworm"
CONNECTOR_BASE = "dockyard/connector-base"
BUILD_DIR = REPO_ROOT / ".build"
DOCKER_DIR = REPO_ROOT / "tools" / "docker"
RUNTIME_DIR = REPO_ROOT / "runtime"
BASE_SCRIPT = DOCKER_DIR / "build-python-base.sh"
CONNECTOR_BASE_DOCKERFILE = DOCKER_DIR / "connector-base.Dockerfile"
DIGEST_LABEL = "io.dockyard.inputs-digest"
DISTRIBUTIONS_LABEL = "io.dockyard.distributions"
# Only the Dockerfile and wheels/ may enter a build context, whatever else lands in a staging directory.
DOCKERIGNORE = DOCKER_DIR / "connector.dockerignore"


@dataclass(frozen=True)
class ConnectorBase:
    tag: str
    digest: str
    distributions: dict[str, str]  # normalised name -> version, of everything installed in /opt/connector


def python_base_ref() -> str:
    return os.environ.get("DOCKYARD_BASE_IMAGE") or PYTHON_BASE


def ensure_python_base(engine: Any, *, log: Callable[[str], None]) -> ImageInfo:
    """The python base image, debootstrapped and imported first when it is missing."""
    ref = python_base_ref()
    info = inspect_image(engine, ref)
    if info is not None:
        return info
    if ref != PYTHON_BASE:
        raise ImageBuildError(
            f"DOCKYARD_BASE_IMAGE={ref} is not present locally, and no registry is reachable to pull it"
        )
    log(f"building {PYTHON_BASE} with debootstrap (once; about a minute)")
    result = subprocess.run([str(BASE_SCRIPT)], capture_output=True, text=True, check=False)
    for line in (result.stdout + result.stderr).splitlines():
        log(f"  {line}")
    info = inspect_image(engine, ref)
    if result.returncode != 0 or info is None:
        raise ImageBuildError(f"{BASE_SCRIPT.relative_to(REPO_ROOT)} failed (exit {result.returncode})")
    return info


def connector_base_digest(python_base: ImageInfo) -> str:
    return digest(
        trees=[RUNTIME_DIR],  # what the runtime's wheel is built from (tests excluded, see fingerprint)
        files=[CONSTRAINTS, CONNECTOR_BASE_DOCKERFILE],
        values=[python_base.id],
    )


def ensure_connector_base(engine: Any, *, log: Callable[[str], None]) -> ConnectorBase:
    """The shared connector base for the current runtime sources, built when no image matches them."""
    python_base = ensure_python_base(engine, log=log)
    inputs = connector_base_digest(python_base)
    tag = f"{CONNECTOR_BASE}:{inputs[:12]}"
    info = inspect_image(engine, tag)
    if info is None or info.labels.get(DIGEST_LABEL) != inputs:
        info = _build_connector_base(engine, tag, inputs, python_base, log=log)
        _untag_older_bases(engine, keep=tag)
    dev = inspect_image(engine, f"{CONNECTOR_BASE}:dev")
    if dev is None or dev.id != info.id:
        retag(engine, info.id, f"{CONNECTOR_BASE}:dev")
    return ConnectorBase(tag=tag, digest=inputs, distributions=parse_distributions(info.labels))


def _build_connector_base(
    engine: Any, tag: str, inputs: str, python_base: ImageInfo, *, log: Callable[[str], None]
) -> ImageInfo:
    log(f"building {tag} (dockyard-runtime and its dependencies)")
    context = BUILD_DIR / "images" / "connector-base"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copyfile(CONNECTOR_BASE_DOCKERFILE, context / "Dockerfile")
    shutil.copyfile(DOCKERIGNORE, context / ".dockerignore")
    with tempfile.TemporaryDirectory(dir=BUILD_DIR, prefix="wheels-") as tmp:
        wheels = collect_wheels([RUNTIME_DIR], Path(tmp), log=log)
        stage_wheels(wheels, context / "wheels", own={local_name(RUNTIME_DIR)}, installed={})
    image_id = build(
        engine,
        context,
        tags=[tag],
        buildargs={"BASE_IMAGE": python_base_ref()},
        labels={DIGEST_LABEL: inputs, DISTRIBUTIONS_LABEL: " ".join(sorted(_distribution(w) for w in wheels))},
        log=log,
        build_log=BUILD_DIR / "images" / "connector-base.build.log",
    )
    info = inspect_image(engine, image_id)
    if info is None:
        raise ImageBuildError(f"{tag} vanished right after its build")
    return info


def _untag_older_bases(engine: Any, *, keep: str) -> None:
    """Drop the digest tags of superseded connector bases, so `docker image prune` can reclaim them."""
    import docker.errors

    for image in engine.api.images(name=CONNECTOR_BASE):
        for ref in image.get("RepoTags") or ():
            if ref not in (keep, f"{CONNECTOR_BASE}:dev"):
                try:
                    engine.api.remove_image(ref)
                except docker.errors.APIError:  # still used by a container: keep it, prune later
                    continue


def _distribution(wheel: Path) -> str:
    return f"{project_name(wheel)}=={wheel_version(wheel)}"


def parse_distributions(labels: Mapping[str, str]) -> dict[str, str]:
    """`{name: version}` from the connector base's distributions label (`name==version name==version ...`)."""
    pairs = (item.partition("==") for item in str(labels.get(DISTRIBUTIONS_LABEL, "")).split())
    return {name: version for name, _, version in pairs}
