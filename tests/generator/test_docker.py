"""The image of a rendered template builds from the shared Dockerfile and passes the acceptance suite.

source-python is the cheapest template to build (no dependency beyond the runtime in the connector base), and
its sample config needs no service, so the image runs with no network at all.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dockyard_tools.acceptance import spec_checks
from dockyard_tools.acceptance.common import Target
from dockyard_tools.acceptance.config import load_config
from dockyard_tools.acceptance.runners import DockerRunner, PythonRunner
from dockyard_tools.acceptance.targets import config_loader
from dockyard_tools.testing.services import service_missing

TEMPLATE = "source-python"


@pytest.fixture
def image(rendered_all: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The rendered connector and its freshly built image tag; image and build folder are removed afterwards."""
    from dockyard_tools.docker_engine import DockerUnavailableError, client
    from dockyard_tools.images import STAGING_DIR, ensure_image

    rendered = rendered_all[TEMPLATE]
    name = rendered.generated.name
    try:
        client()
    except DockerUnavailableError as exc:
        service_missing("docker", str(exc))
    tag = ensure_image(name, root=rendered.path.parent)
    try:
        yield rendered, tag
    finally:
        repository = tag.rsplit(":", 1)[0]
        for ref in (tag, f"{repository}:dev"):
            with contextlib.suppress(OSError):
                subprocess.run(["docker", "rmi", "-f", ref], capture_output=True, check=False)
        shutil.rmtree(STAGING_DIR / name, ignore_errors=True)
        (STAGING_DIR / f"{name}.build.log").unlink(missing_ok=True)


@pytest.mark.docker
def test_the_image_runs_and_passes_the_acceptance_suite(
    image: tuple[Any, str], tmp_path: Path, acceptance_suite: Callable[[Target], None]
) -> None:
    rendered, tag = image
    spec = subprocess.run(["docker", "run", "--rm", tag, "spec"], capture_output=True, text=True, check=False)
    assert spec.returncode == 0 and '"type":"SPEC"' in spec.stdout, spec.stderr
    acceptance = load_config(rendered.path)
    python = PythonRunner(acceptance.root, tmp_path / "work")
    docker = DockerRunner(tag, tmp_path / "work", network="none")
    target = Target(acceptance, docker, config_loader(acceptance, None), reference=python)
    spec_checks.check_spec_same_on_both_runners(target)
    acceptance_suite(target)
