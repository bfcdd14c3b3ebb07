"""Fixtures for tests that run connector images: the engine, each image built once, and a `docker run` helper."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.docker_engine import DockerUnavailableError, ImageError, client
from dockyard_tools.images import ensure_image
from dockyard_tools.testing.services import service_missing

RUN_TIMEOUT_S = 600  # a safety net against a hung container, far above any run here


@dataclass
class Run:
    """One connector run: exit code, the protocol messages it printed and its stderr."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str
    non_protocol_lines: list[str] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


def parse_output(stdout: str, returncode: int, stderr: str) -> Run:
    messages: list[dict[str, Any]] = []
    other: list[str] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if isinstance(message, dict) and "type" in message:
            messages.append(message)
        else:
            other.append(line)
    return Run(returncode, messages, stderr, other)


def _python_run(connector: str, args: Sequence[str], *, stdin: bytes | None = None) -> Run:
    """The same command through the connector's Python entrypoint in this virtualenv (the reference)."""
    command = [sys.executable, str(CONNECTORS_DIR / connector / "main.py"), *args]
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=RUN_TIMEOUT_S, check=False)
    return parse_output(done.stdout.decode(), done.returncode, done.stderr.decode())


def _docker_run(
    image: str,
    args: Sequence[str],
    *,
    mounts: Mapping[Path, str] | None = None,
    stdin: bytes | None = None,
    entrypoint: str | None = None,
) -> Run:
    """`docker run --rm -i --network none` of `image`: no test run may need a network."""
    command = ["docker", "run", "--rm", "-i", "--network", "none"]
    for host, inside in (mounts or {}).items():
        command += ["-v", f"{host}:{inside}"]
    if entrypoint is not None:
        command += ["--entrypoint", entrypoint]
    done = subprocess.run(
        [*command, image, *args], input=stdin, capture_output=True, timeout=RUN_TIMEOUT_S, check=False
    )
    return parse_output(done.stdout.decode(), done.returncode, done.stderr.decode())


@pytest.fixture(scope="session")
def docker_engine() -> Any:
    try:
        return client()
    except DockerUnavailableError as exc:
        service_missing("docker", str(exc))


@pytest.fixture(scope="session")
def connector_image(docker_engine: Any) -> Callable[[str], str]:
    """`connector_image(name)`: the image tag, built (or found up to date) once per session.

    A build failure is remembered, so every test of that connector fails at once instead of rebuilding.
    """
    built: dict[str, str | ImageError] = {}

    def get(name: str) -> str:
        if name not in built:
            try:
                built[name] = ensure_image(name)
            except ImageError as exc:
                built[name] = exc
        found = built[name]
        if isinstance(found, ImageError):
            pytest.fail(f"image of {name} did not build: {found}", pytrace=False)
        return found

    return get


@pytest.fixture
def sample_dir(tmp_path: Path) -> Callable[[str], Path]:
    """`sample_dir(name)`: a copy of the connector's sample_files, world-writable, to mount at /data.

    The image runs as uid 10001, which must be able to write there (the DuckDB file, say).
    """

    def make(name: str) -> Path:
        target = tmp_path / "data"
        target.mkdir(mode=0o777)
        target.chmod(0o777)  # mkdir's mode is masked by the umask
        for source in (CONNECTORS_DIR / name / "sample_files").iterdir():
            if source.is_file():
                (target / source.name).write_bytes(source.read_bytes())
        return target

    return make


@pytest.fixture(scope="session")
def python_run() -> Callable[..., Run]:
    """`python_run(connector, args, stdin=...)`: a command through the connector's Python entrypoint."""
    return _python_run


@pytest.fixture(scope="session")
def docker_run(docker_engine: Any) -> Callable[..., Run]:
    """`docker_run(image, args, mounts=..., stdin=..., entrypoint=...)`: a command in a container, no network."""
    return _docker_run
