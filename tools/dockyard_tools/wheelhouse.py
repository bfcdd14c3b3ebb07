"""Wheels for image builds, prepared on the host so `docker build` never needs a network.

Third-party wheels live in one cache (`.build/wheels`) shared by every build; it is filled from PyPI only when a
pinned wheel is missing, so repeated builds resolve fully offline. Our own packages (the runtime, a connector)
are built fresh into the destination each time and never enter the cache, so a stale copy can never be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from dockyard_tools import REPO_ROOT
from dockyard_tools.docker_engine import ImageError
from dockyard_tools.fingerprint import tree_files

WHEEL_CACHE = REPO_ROOT / ".build" / "wheels"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
# Fixed zip timestamps make our own wheels byte-identical across builds, so Docker's layer cache can reuse the
# `COPY wheels/` layer when nothing changed (1980-01-01, the earliest time a zip entry can hold).
_SOURCE_DATE_EPOCH = "315532800"


class WheelhouseError(ImageError):
    """pip could not produce the wheels for an image (missing pin, build failure, no network to fill the cache)."""


def project_name(wheel: Path) -> str:
    """Normalised distribution name of a wheel file: `dockyard_runtime-0.1.0-py3-none-any.whl` -> `dockyard-runtime`."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def collect_wheels(projects: Sequence[Path], dest: Path, *, log: Callable[[str], None]) -> list[Path]:
    """Put wheels for `projects` (local source trees) and everything they depend on into `dest`.

    Tries the cache alone first; when a pinned dependency is missing there, fills the cache from PyPI and retries.
    """
    dest.mkdir(parents=True, exist_ok=True)
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix="sources-") as tmp:
        return _collect(_clean_copies(projects, Path(tmp)), dest, log=log)


def _clean_copies(projects: Sequence[Path], into: Path) -> list[Path]:
    """Copy each source tree without tests, caches or build outputs, and build wheels from the copies.

    An in-tree setuptools build would leave build/ and egg-info in the checkout, and a stale build/lib can slip
    deleted modules into a wheel; the copy holds exactly the files fingerprint.digest hashes.
    """
    copies = []
    for project in projects:
        copy = into / project.name
        for path in tree_files(project):
            target = copy / path.relative_to(project)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        copies.append(copy)
    return copies


def _collect(projects: Sequence[Path], dest: Path, *, log: Callable[[str], None]) -> list[Path]:
    offline = _pip_wheel(projects, dest, "--no-index")
    if offline.returncode != 0:
        log(f"wheel cache lacks some pins; filling {WHEEL_CACHE.relative_to(REPO_ROOT)} from the package index")
        online = _pip_wheel(projects, WHEEL_CACHE)
        _forget_local_wheels(projects)
        if online.returncode != 0:
            raise WheelhouseError(
                f"pip wheel failed for {', '.join(p.name for p in projects)}:\n{online.stderr[-3000:]}"
            )
        offline = _pip_wheel(projects, dest, "--no-index")
        if offline.returncode != 0:
            raise WheelhouseError(f"pip wheel failed offline after filling the cache:\n{offline.stderr[-3000:]}")
    return sorted(dest.glob("*.whl"))


def _pip_wheel(projects: Sequence[Path], dest: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # --no-build-isolation: the repo venv already has setuptools, and an isolated build would need it from PyPI.
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--disable-pip-version-check",
        "--no-build-isolation",
        "--constraint",
        str(CONSTRAINTS),
        "--find-links",
        str(WHEEL_CACHE),
        "--wheel-dir",
        str(dest),
        *extra,
        # Absolute paths: a bare "runtime" would be taken for a PyPI project of that name.
        *(str(p.resolve()) for p in projects),
    ]
    env = {**os.environ, "SOURCE_DATE_EPOCH": _SOURCE_DATE_EPOCH, "PIP_NO_INPUT": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=REPO_ROOT)


def _forget_local_wheels(projects: Sequence[Path]) -> None:
    """Drop our own packages' wheels from the shared cache: they are rebuilt from source for every image."""
    local = {local_name(p) for p in projects}
    for wheel in WHEEL_CACHE.glob("*.whl"):
        if project_name(wheel) in local:
            wheel.unlink()


def local_name(project: Path) -> str:
    """Normalised distribution name of a local source tree, from its pyproject.toml."""
    import tomllib

    with (project / "pyproject.toml").open("rb") as f:
        name = str(tomllib.load(f)["project"]["name"])
    return re.sub(r"[-_.]+", "-", name).lower()


def stage_wheels(
    wheels: Sequence[Path], wheels_dir: Path, *, own: Collection[str], installed: Mapping[str, str]
) -> list[Path]:
    """Move `wheels` into `wheels_dir`/project (our packages `own`) and `wheels_dir`/deps (the rest).

    Wheels whose exact version is already `installed` in the base image are left out; a different version of an
    installed distribution is an error, because installing it over the base would leave two versions' files.
    """
    staged = []
    for sub in ("deps", "project"):
        (wheels_dir / sub).mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        name, version = project_name(wheel), wheel_version(wheel)
        have = installed.get(name)
        if have == version:
            continue
        if have is not None:
            raise WheelhouseError(
                f"{name}=={version} is needed but the base image has {name}=={have} (pin one in constraints.txt)"
            )
        target = wheels_dir / ("project" if name in own else "deps") / wheel.name
        shutil.move(wheel, target)
        staged.append(target)
    return staged


def wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]
