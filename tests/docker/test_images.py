"""Every connector's image, run for real: it must speak the protocol exactly like the connector's Python entrypoint.

Connectors are discovered from connectors/ (metadata.yaml + pyproject.toml), so a new connector is covered without
touching this file. Connectors whose sample config needs a service (acceptance-test-config.yml
`dockyard.config_fixture`, e.g. postgres) are checked here for spec and image hygiene only; their check/read/write
run in the acceptance suite against a throwaway server.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.images import build_context, discover_connectors, load_connector

pytestmark = pytest.mark.docker

CONNECTORS = discover_connectors()
SOURCES = [c for c in CONNECTORS if load_connector(c).connector_type == "source"]
DESTINATIONS = [c for c in CONNECTORS if load_connector(c).connector_type == "destination"]
MAX_CONTEXT_MB = 64  # the largest wheel set today is DuckDB's (~20 MB); a .venv or data file would blow past this


def needs_service(connector: str) -> str | None:
    path = CONNECTORS_DIR / connector / "acceptance-test-config.yml"
    if not path.is_file():
        return None
    fixture = ((yaml.safe_load(path.read_text()) or {}).get("dockyard") or {}).get("config_fixture")
    return str(fixture) if fixture else None


def skip_if_needs_service(connector: str) -> None:
    fixture = needs_service(connector)
    if fixture:
        pytest.skip(f"{connector}'s sample config needs the {fixture} fixture: the acceptance suite runs it")


@pytest.mark.parametrize("connector", CONNECTORS)
def test_spec_matches_python_entrypoint(
    connector: str, connector_image: Callable[[str], str], docker_run: Any, python_run: Any
) -> None:
    in_image = docker_run(connector_image(connector), ["spec"])
    reference = python_run(connector, ["spec"])

    assert in_image.returncode == 0, in_image.stderr
    assert in_image.non_protocol_lines == []
    [spec] = in_image.of_type("SPEC")
    assert "connectionSpecification" in spec["spec"]
    assert spec == reference.of_type("SPEC")[0]


@pytest.mark.parametrize("connector", CONNECTORS)
def test_image_metadata(connector: str, connector_image: Callable[[str], str], docker_engine: Any) -> None:
    meta = load_connector(connector)
    config = docker_engine.api.inspect_image(connector_image(connector))["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])

    assert config["User"] == "10001:10001"
    assert config["Labels"]["io.airbyte.name"] == meta.repository
    assert config["Labels"]["io.airbyte.version"] == meta.version
    assert env["AIRBYTE_ENTRYPOINT"] == meta.entrypoint
    assert config["Entrypoint"] == [meta.entrypoint]
    dev = docker_engine.api.inspect_image(meta.dev_image)
    assert dev["Id"] == docker_engine.api.inspect_image(meta.image)["Id"]


@pytest.mark.parametrize("connector", CONNECTORS)
def test_image_runs_unprivileged_and_holds_no_build_leftovers(
    connector: str, connector_image: Callable[[str], str], docker_run: Any
) -> None:
    script = "id -u; id -g; ls -d /wheels /delta /tmp/files-before /tmp/files-added 2>/dev/null; true"
    run = docker_run(connector_image(connector), ["-c", script], entrypoint="/bin/sh")

    assert run.returncode == 0, run.stderr
    assert run.non_protocol_lines == ["10001", "10001"]  # nothing listed: the build stages' files stayed behind


@pytest.mark.parametrize("connector", CONNECTORS)
def test_build_context_holds_only_dockerfile_and_wheels(connector: str, docker_engine: Any) -> None:
    context = build_context(connector)
    files = [p.relative_to(context) for p in context.rglob("*") if p.is_file()]
    size_mb = sum((context / f).stat().st_size for f in files) / 1e6

    assert [str(f) for f in files if not _allowed_in_context(f)] == []
    assert [f.name for f in files if f.parts[:2] == ("wheels", "project")] != []
    assert size_mb < MAX_CONTEXT_MB


def _allowed_in_context(path: Path) -> bool:
    if path.parts in (("Dockerfile",), (".dockerignore",), (".inputs-digest",)):
        return True
    in_wheels = len(path.parts) == 3 and path.parts[0] == "wheels" and path.parts[1] in ("deps", "project")
    return in_wheels and path.suffix == ".whl"


@pytest.mark.parametrize("connector", CONNECTORS)
def test_check_succeeds_with_sample_config(
    connector: str, connector_image: Callable[[str], str], docker_run: Any, sample_dir: Callable[[str], Path]
) -> None:
    skip_if_needs_service(connector)
    data = sample_dir(connector)
    run = docker_run(connector_image(connector), ["check", "--config", "/data/config.json"], mounts={data: "/data"})

    assert run.returncode == 0, run.stderr
    assert run.non_protocol_lines == []
    [status] = run.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "SUCCEEDED", status


@pytest.mark.parametrize("connector", SOURCES)
def test_source_discovers_and_reads_like_python(
    connector: str,
    connector_image: Callable[[str], str],
    docker_run: Any,
    python_run: Any,
    sample_dir: Callable[[str], Path],
) -> None:
    skip_if_needs_service(connector)
    data = sample_dir(connector)
    image = connector_image(connector)
    discover = docker_run(image, ["discover", "--config", "/data/config.json"], mounts={data: "/data"})
    read = docker_run(
        image,
        ["read", "--config", "/data/config.json", "--catalog", "/data/configured_catalog.json"],
        mounts={data: "/data"},
    )
    reference = python_run(
        connector, ["read", "--config", str(data / "config.json"), "--catalog", str(data / "configured_catalog.json")]
    )

    assert discover.returncode == 0, discover.stderr
    [catalog] = discover.of_type("CATALOG")
    assert catalog["catalog"]["streams"]
    assert read.returncode == 0, read.stderr
    assert read.non_protocol_lines == []
    per_stream = Counter(m["record"]["stream"] for m in read.of_type("RECORD"))
    assert sum(per_stream.values()) > 0
    assert per_stream == Counter(m["record"]["stream"] for m in reference.of_type("RECORD"))


@pytest.mark.parametrize("connector", DESTINATIONS)
def test_destination_writes_stdin_and_echoes_state(
    connector: str,
    connector_image: Callable[[str], str],
    docker_run: Any,
    python_run: Any,
    sample_dir: Callable[[str], Path],
) -> None:
    skip_if_needs_service(connector)
    data = sample_dir(connector)
    config = json.loads((data / "config.json").read_text())
    # Absolute paths in the sample config (a DuckDB file, say) are moved into the mounted directory, so the
    # run proves the container's user can write a file the host then sees.
    files = {key: value for key, value in config.items() if isinstance(value, str) and value.startswith("/")}
    in_container = {key: f"/data/out/{Path(value).name}" for key, value in files.items()}
    (data / "config.json").write_text(json.dumps({**config, **in_container}))
    (data / "out").mkdir(mode=0o777)
    (data / "out").chmod(0o777)
    messages = (data / "messages.jsonl").read_bytes()
    args = ["write", "--config", "/data/config.json", "--catalog", "/data/configured_catalog.json"]

    run = docker_run(connector_image(connector), args, mounts={data: "/data"}, stdin=messages)

    assert run.returncode == 0, run.stderr
    assert run.non_protocol_lines == []
    sent = [json.loads(line)["state"] for line in messages.splitlines() if b'"STATE"' in line]
    echoed = _states(run.of_type("STATE"))
    assert echoed, "the destination echoed no STATE message"
    assert all(state in sent for state in echoed)
    assert echoed[-1] == sent[-1]
    for value in files.values():
        assert (data / "out" / Path(value).name).is_file()
    reference_dir = data.parent / "python"
    reference_dir.mkdir()
    reference_config = {**config, **{k: str(reference_dir / Path(v).name) for k, v in files.items()}}
    (reference_dir / "config.json").write_text(json.dumps(reference_config))
    reference = python_run(
        connector,
        ["write", "--config", str(reference_dir / "config.json"), "--catalog", str(data / "configured_catalog.json")],
        stdin=messages,
    )
    assert echoed == _states(reference.of_type("STATE"))


def _states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The state blobs, without the stats a destination adds when it echoes them (destinationStats)."""
    return [{k: v for k, v in m["state"].items() if not k.endswith("Stats")} for m in messages]
