"""Every template, rendered: lint, types, its own tests, and the wiring every connector shares."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import tomllib
import yaml
from dockyard_tools import REPO_ROOT
from dockyard_tools.generate import read_pins, templates
from dockyard_tools.images import render_dockerfile

CONFIG = str(REPO_ROOT / "pyproject.toml")
BIN = Path(sys.executable).parent  # the venv running the tests has ruff and mypy
REQUIRED = ("main.py", "pyproject.toml", "metadata.yaml", "Dockerfile", "acceptance-test-config.yml", "sample_files")


def tool(name: str) -> str:
    return str(BIN / name)


def test_the_venv_has_what_every_template_depends_on() -> None:
    """Rendered connectors are not installed: their dependencies must already be in the repo's venv (tools/pyproject
    [tests] lists those no connector in connectors/ brings)."""
    missing = []
    for template in templates().values():
        for requirement in template.dependencies:
            name = requirement.split("==")[0]
            try:
                importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                missing.append(f"{name} (template {template.name})")
    assert not missing, f"not installed in {sys.prefix}: {', '.join(missing)}; add them to tools/pyproject.toml [tests]"


def test_ruff_finds_nothing_to_fix(rendered: Any) -> None:
    """Run from the repo root, as `make lint` does: that decides which imports ruff sorts as first-party."""
    path = str(rendered.path)
    lint = rendered.run(tool("ruff"), "check", "--no-cache", "--config", CONFIG, path, cwd=REPO_ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    style = rendered.run(tool("ruff"), "format", "--no-cache", "--check", "--config", CONFIG, path, cwd=REPO_ROOT)
    assert style.returncode == 0, style.stdout + style.stderr


def test_mypy_strict_passes_on_the_package(rendered: Any, mypy_cache: Path) -> None:
    done = rendered.run(tool("mypy"), "--config-file", CONFIG, "--cache-dir", str(mypy_cache), "-p", rendered.package)
    assert done.returncode == 0, done.stdout + done.stderr


def test_its_own_unit_and_integration_tests_pass(rendered: Any) -> None:
    done = rendered.run(
        sys.executable, "-m", "pytest", "-c", CONFIG, "--rootdir", str(rendered.path), "-p", "no:cacheprovider",
        "-q", "unit_tests", "integration_tests",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert re.search(r"\d+ passed", done.stdout) and "skipped" not in done.stdout, done.stdout[-2000:]


def test_it_is_wired_like_every_connector(rendered: Any) -> None:
    path, name, package = rendered.path, rendered.generated.name, rendered.package
    assert not [f for f in REQUIRED if not (path / f).exists()]
    assert (path / "unit_tests").is_dir() and (path / "integration_tests").is_dir()
    main = [line for line in (path / "main.py").read_text().splitlines() if line.strip()]
    assert main[0] == f"from {package}.run import run" and len(main) <= 6
    assert f'"{package}.{rendered.generated.template.kind}:' in (path / package / "run.py").read_text()
    spec = json.loads((path / package / "spec.json").read_text())
    assert (
        spec["documentationUrl"] == f"docs/integrations/{rendered.generated.template.kind}s/{name.partition('-')[2]}.md"
    )
    assert (path / "Dockerfile").read_text() == render_dockerfile(name)
    project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    assert project["name"] == name and project["scripts"] == {name: f"{package}.run:run"}
    assert "dockyard-runtime" in project["dependencies"]
    assert project["optional-dependencies"]["tests"]


def test_it_pins_what_the_repo_pins(rendered: Any) -> None:
    pins = read_pins()
    project = tomllib.loads((rendered.path / "pyproject.toml").read_text())["project"]
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["tests"]]:
        if requirement == "dockyard-runtime":
            continue
        name = re.split(r"[=<>!~ ]", requirement)[0]
        assert requirement == pins[re.sub(r"[-_.]+", "-", name).lower()], f"{requirement} is not constraints.txt's pin"


def test_metadata_is_complete_with_a_fresh_definition_id(rendered_all: dict[str, Any]) -> None:
    ids = set()
    for rendered in rendered_all.values():
        text = (rendered.path / "metadata.yaml").read_text()
        data = yaml.safe_load(text)["data"]
        assert data["connectorType"] == rendered.generated.template.kind
        assert data["dockerRepository"] == f"dockyard/{rendered.generated.name}"
        assert data["dockerImageTag"] == "0.1.0"
        assert data["documentationUrl"].endswith(".md") and data["name"]
        assert uuid.UUID(data["definitionId"]).version == 4
        ids.add(data["definitionId"])
    assert len(ids) == len(rendered_all)


def test_nothing_is_left_to_fill_in(rendered: Any) -> None:
    names = "|".join(rendered.generated.variables)
    placeholder = re.compile(r"\{\{ (" + names + r") \}\}")
    pages = [rendered.generated.docs_page, *(p for p in rendered.path.rglob("*") if p.is_file())]
    for page in pages:
        if "cache" in str(page) or page.suffix in (".pyc", ".sqlite", ".db"):
            continue
        text = page.read_text(encoding="utf-8")
        assert "TODO" not in text, page
        assert not placeholder.search(text), page


def test_the_docs_page_is_listed_in_summary(rendered: Any) -> None:
    generated = rendered.generated
    page = generated.docs_page.relative_to(generated.summary.parent).as_posix()
    assert f"]({page})" in generated.summary.read_text()
    assert generated.docs_page.read_text().startswith(f"# {generated.variables['title']}\n")


def test_connectors_import_no_other_connector(rendered: Any) -> None:
    for source in rendered.path.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top = node.module.split(".")[0]
                assert not (top.startswith(("source_", "destination_")) and top != rendered.package), source
