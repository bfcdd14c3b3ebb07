"""Every connector's Dockerfile is the template's, and its metadata lets that template build a working image.

No Docker engine needed: these guard the files, tests/docker/ runs the images.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dockyard_tools import CONNECTORS_DIR
from dockyard_tools.base_image import CONNECTOR_BASE_DOCKERFILE, DOCKERIGNORE
from dockyard_tools.docker_engine import ImageBuildError
from dockyard_tools.images import discover_connectors, image_problems, load_connector, render_dockerfile

CONNECTORS = discover_connectors()


@pytest.mark.parametrize("connector", CONNECTORS)
def test_dockerfile_is_the_rendered_template(connector: str) -> None:
    assert (CONNECTORS_DIR / connector / "Dockerfile").read_text() == render_dockerfile(connector)


@pytest.mark.parametrize("connector", CONNECTORS)
def test_dockerignore_admits_only_dockerfile_and_wheels(connector: str) -> None:
    assert (CONNECTORS_DIR / connector / ".dockerignore").read_text() == DOCKERIGNORE.read_text()


@pytest.mark.parametrize("connector", CONNECTORS)
def test_metadata_and_pyproject_fit_the_template(connector: str) -> None:
    assert image_problems(load_connector(connector)) == []


def test_rendered_dockerfile_runs_the_console_script_as_a_non_root_user() -> None:
    text = render_dockerfile("source-example")

    assert "{{" not in text
    assert 'ENTRYPOINT ["/opt/connector/bin/source-example"]' in text
    assert 'ENV AIRBYTE_ENTRYPOINT="/opt/connector/bin/source-example"' in text
    assert 'io.airbyte.name="dockyard/source-example"' in text
    assert text.rstrip().splitlines()[-2] == "USER 10001:10001"


@pytest.mark.parametrize("dockerfile", ["template", "connector-base"])
def test_dockerfiles_take_the_base_as_a_build_arg_and_never_use_the_network(dockerfile: str) -> None:
    text = render_dockerfile("source-example") if dockerfile == "template" else CONNECTOR_BASE_DOCKERFILE.read_text()
    froms = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)

    assert text.startswith("#") and re.search(r"^ARG BASE_IMAGE=dockyard/", text, flags=re.MULTILINE)
    assert set(froms) <= {"${BASE_IMAGE}", "deps"}
    assert "--no-index" in text
    assert not re.search(r"apt-get|curl|wget|ADD http", text)


def test_problems_name_each_mismatch(tmp_path: Path) -> None:
    connector = tmp_path / "source-example"
    connector.mkdir()
    (connector / "metadata.yaml").write_text(
        "data:\n  connectorType: source\n  dockerRepository: acme/example\n  dockerImageTag: 1.2.3\n"
    )
    (connector / "pyproject.toml").write_text('[project]\nname = "example"\n[project.scripts]\nexample = "x:y"\n')

    problems = image_problems(load_connector("source-example", tmp_path))

    assert problems == [
        "source-example has no Dockerfile (render one with images.render_dockerfile)",
        "metadata dockerRepository is 'acme/example' (expected: 'dockyard/source-example')",
        "pyproject project.name is 'example' (expected: 'source-example')",
        "pyproject has no console script 'source-example' (scripts: ['example'])",
    ]


def test_unknown_connector_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "source-a").mkdir()
    (tmp_path / "source-a" / "metadata.yaml").write_text("data: {}\n")
    (tmp_path / "source-a" / "pyproject.toml").write_text("")

    with pytest.raises(
        ImageBuildError, match=r"Unknown connector 'source-b' \(connectors with metadata.yaml: source-a\)"
    ):
        load_connector("source-b", tmp_path)
    with pytest.raises(ImageBuildError, match=r"source-a/metadata.yaml lacks data.connectorType"):
        load_connector("source-a", tmp_path)
