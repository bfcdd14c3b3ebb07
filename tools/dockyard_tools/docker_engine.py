"""The few Docker engine calls image builds need, through the Docker SDK.

The SDK talks to the daemon's API directly (the classic builder), so builds behave the same whichever `docker` CLI
is on PATH and whether or not buildx is installed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_BUILD_TIMEOUT_S = 3600  # a `RUN pip install` can stay silent for minutes; the SDK's default 60 s would cut it


class ImageError(RuntimeError):
    """Root of what can stop an image build; the CLI reports its message without a traceback."""


class DockerUnavailableError(ImageError):
    """No Docker engine answers (not installed, not started, or no permission on its socket)."""


class ImageBuildError(ImageError):
    """`docker build` failed; the message carries the builder's last output lines."""


@dataclass(frozen=True)
class ImageInfo:
    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    user: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    entrypoint: tuple[str, ...] = ()


def client() -> Any:
    """A connected Docker SDK client, or DockerUnavailableError saying why not."""
    try:
        import docker

        engine = docker.from_env(timeout=_BUILD_TIMEOUT_S)
        engine.ping()
    except Exception as exc:  # the SDK raises DockerException, requests' ConnectionError, FileNotFoundError...
        raise DockerUnavailableError(f"no Docker engine answers: {exc} (start it with `make services`)") from exc
    return engine


def inspect_image(engine: Any, ref: str) -> ImageInfo | None:
    """What the engine knows about image `ref` (tag or id), or None when it has no such image."""
    import docker.errors

    try:
        attrs = engine.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None
    config = attrs.get("Config") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    return ImageInfo(
        id=attrs["Id"],
        labels=dict(config.get("Labels") or {}),
        user=config.get("User") or "",
        env=env,
        entrypoint=tuple(config.get("Entrypoint") or ()),
    )


def build(
    engine: Any,
    context: Path,
    *,
    tags: list[str],
    buildargs: Mapping[str, str],
    labels: Mapping[str, str],
    log: Callable[[str], None],
    build_log: Path,
) -> str:
    """Build `context` (its Dockerfile), tag the result with every tag and return the image id.

    Every output line goes to `build_log`; only the step headers go to `log`, so a CLI shows progress, not pip.
    """
    image_id = ""
    tail: list[str] = []
    build_log.parent.mkdir(parents=True, exist_ok=True)
    with build_log.open("w") as out:
        stream = engine.api.build(
            path=str(context),
            tag=tags[0],
            buildargs=dict(buildargs),
            labels=dict(labels),
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            timeout=_BUILD_TIMEOUT_S,
        )
        for chunk in stream:
            if "error" in chunk:
                out.write(f"ERROR: {chunk['error']}\n")
                lines = "".join(tail[-25:])
                raise ImageBuildError(f"docker build of {tags[0]} failed: {chunk['error'].strip()}\n{lines}")
            text = chunk.get("stream", "")
            if text:
                out.write(text)
                tail.append(text)
                if text.startswith("Step "):
                    log(f"  {text.strip()}")
                found = re.match(r"Successfully built ([0-9a-f]+)", text)
                if found:
                    image_id = found.group(1)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
    if not image_id:
        raise ImageBuildError(f"docker build of {tags[0]} reported no image id (log: {build_log})")
    for ref in tags[1:]:
        repository, _, tag = ref.rpartition(":")
        engine.api.tag(image_id, repository, tag)
    return str(engine.api.inspect_image(image_id)["Id"])


def retag(engine: Any, image_id: str, ref: str) -> None:
    repository, _, tag = ref.rpartition(":")
    engine.api.tag(image_id, repository, tag, force=True)
