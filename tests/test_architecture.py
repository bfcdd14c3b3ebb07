"""Guards of the repo's shape: every connector has the same files, a docs page, and imports no other connector."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONNECTORS = sorted(p for p in (ROOT / "connectors").iterdir() if (p / "main.py").is_file())
PACKAGES = {p.name.replace("-", "_") for p in CONNECTORS}
REQUIRED = ("main.py", "pyproject.toml", "metadata.yaml", "Dockerfile", "acceptance-test-config.yml", "sample_files")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_there_are_connectors() -> None:
    assert {"source-faker", "destination-duckdb"} <= {p.name for p in CONNECTORS}


@pytest.mark.parametrize("connector", CONNECTORS, ids=_ids(CONNECTORS))
def test_connector_has_the_standard_files(connector: Path) -> None:
    missing = [name for name in REQUIRED if not (connector / name).exists()]
    assert not missing, f"{connector.name} lacks {missing}"
    package = connector / connector.name.replace("-", "_")
    assert (package / "spec.json").is_file(), "spec.json must ship inside the package"
    json.loads((package / "spec.json").read_text())


@pytest.mark.parametrize("connector", CONNECTORS, ids=_ids(CONNECTORS))
def test_connector_is_documented_and_listed(connector: Path) -> None:
    kind, _, name = connector.name.partition("-")
    page = ROOT / "docs" / "integrations" / f"{kind}s" / f"{name}.md"
    assert page.is_file(), f"missing docs page {page.relative_to(ROOT)}"
    summary = (ROOT / "docs" / "SUMMARY.md").read_text()
    assert f"integrations/{kind}s/{name}.md" in summary, f"{page.name} is not listed in docs/SUMMARY.md"


@pytest.mark.parametrize("connector", CONNECTORS, ids=_ids(CONNECTORS))
def test_metadata_is_complete(connector: Path) -> None:
    data = yaml.safe_load((connector / "metadata.yaml").read_text())["data"]
    for key in ("connectorType", "dockerRepository", "dockerImageTag", "definitionId", "name"):
        assert data.get(key), f"metadata.yaml of {connector.name} lacks {key}"
    assert data["connectorType"] == connector.name.partition("-")[0]
    assert "TODO" not in (connector / "metadata.yaml").read_text()


@pytest.mark.parametrize("connector", CONNECTORS, ids=_ids(CONNECTORS))
def test_connector_imports_no_other_connector(connector: Path) -> None:
    own = connector.name.replace("-", "_")
    for path in connector.rglob("*.py"):
        if ".egg-info" in str(path) or "/build/" in str(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top == own or top not in PACKAGES, f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("connector", CONNECTORS, ids=_ids(CONNECTORS))
def test_main_py_is_thin(connector: Path) -> None:
    lines = [line for line in (connector / "main.py").read_text().splitlines() if line.strip()]
    assert len(lines) <= 6, "main.py only launches the connector"
