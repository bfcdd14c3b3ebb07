"""The generator's own logic: names, placeholders, pins, the SUMMARY.md line, prompts and its command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dockyard_tools import REPO_ROOT
from dockyard_tools import generate as generator
from dockyard_tools.generate import (
    GenerateError,
    TemplateError,
    add_to_summary,
    check_name,
    class_name,
    package_name,
    read_pins,
    render_text,
    short_name,
    templates,
)

SUMMARY = """# Summary

## Guides

- [Architecture](architecture.md)

## Sources

- [Faker](integrations/sources/faker.md)
- [PostgreSQL](integrations/sources/postgres.md)

## Destinations

- [DuckDB](integrations/destinations/duckdb.md)
"""


def test_the_five_templates_of_the_issue_exist() -> None:
    found = templates()
    assert set(found) == {
        "source-python-http",
        "source-declarative",
        "source-python",
        "destination-python",
        "destination-sql",
    }
    assert {name: t.kind for name, t in found.items()} == {
        "destination-python": "destination",
        "destination-sql": "destination",
        "source-declarative": "source",
        "source-python": "source",
        "source-python-http": "source",
    }
    assert all(t.summary for t in found.values())


def test_names_are_derived_the_house_way() -> None:
    assert package_name("source-acme-crm") == "source_acme_crm"
    assert class_name("source-acme-crm") == "SourceAcmeCrm"
    assert short_name("destination-big-query") == "big-query"
    check_name("source-3d-api", "source")
    for bad in ("source", "source-", "source--x", "Source-x", "source_x", "sink-x", "source-x-", "source-ü"):
        with pytest.raises(GenerateError, match="Invalid connector name"):
            check_name(bad)


def test_an_unknown_placeholder_is_a_template_error_naming_the_file() -> None:
    assert render_text("{{ name }} {{config['x']}} {{ other.thing }}", {"name": "n"}, source="f") == (
        "n {{config['x']}} {{ other.thing }}"
    )
    with pytest.raises(TemplateError, match=r"t/x.py.tmpl: unknown placeholder \{\{ nmae \}\}"):
        render_text("{{ nmae }}", {"name": "n"}, source="t/x.py.tmpl")


def test_pins_come_from_constraints_txt() -> None:
    pins = read_pins()
    assert pins["airbyte-cdk"].startswith("airbyte-cdk==")
    assert pins["sqlalchemy"].startswith("SQLAlchemy==")


def test_a_template_needing_an_unpinned_package_is_refused(tmp_path: Path) -> None:
    template = templates()["source-python"]
    broken = generator.Template(**{**template.__dict__, "dependencies": ("left-pad",)})
    with pytest.raises(TemplateError, match=r"left-pad, which constraints\.txt does not pin"):
        generator.variables(broken, "source-x", title="X", description="X.")


@pytest.mark.parametrize(
    ("kind", "title", "after"),
    [
        ("source", "Acme", "## Sources\n\n- [Acme](integrations/sources/acme.md)\n- [Faker]"),
        (
            "source",
            "Zendesk",
            "(integrations/sources/postgres.md)\n- [Zendesk](integrations/sources/zendesk.md)\n\n## Destinations",
        ),
        (
            "destination",
            "Files",
            "- [DuckDB](integrations/destinations/duckdb.md)\n- [Files](integrations/destinations/files.md)\n",
        ),
    ],
)
def test_the_summary_line_goes_in_order_among_its_kind(kind: str, title: str, after: str) -> None:
    target = f"integrations/{kind}s/{title.lower()}.md"
    updated = add_to_summary(SUMMARY, kind=kind, title=title, target=target)
    assert after in updated
    assert updated.count(target) == 1 and len(updated.splitlines()) == len(SUMMARY.splitlines()) + 1


def test_the_summary_gains_a_section_when_it_has_none() -> None:
    updated = add_to_summary(
        "# Summary\n", kind="destination", title="Files", target="integrations/destinations/files.md"
    )
    assert updated == "# Summary\n\n## Destinations\n\n- [Files](integrations/destinations/files.md)\n"
    nested = "# Summary\n\n- [Sources](integrations/sources/README.md)\n"
    assert "\n  - [Acme](integrations/sources/acme.md)" in add_to_summary(
        nested, kind="source", title="Acme", target="integrations/sources/acme.md"
    )


def test_generate_renders_and_says_what_to_do_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "SUMMARY.md").write_text(SUMMARY)
    args = ["--no-input", "-t", "source-python", "-n", "source-acme", "--title", "Acme CRM"]
    args += ["--description", "Acme's CRM.", "--output-dir", str(tmp_path / "connectors")]
    previous = os.umask(0o022)
    try:
        code = generator.main([*args, "--docs-dir", str(tmp_path / "docs")])
    finally:
        os.umask(previous)
    out = capsys.readouterr().out
    assert code == 0
    assert "make test CONNECTOR=source-acme" in out and "make build CONNECTOR=source-acme" in out
    assert "docker run --rm dockyard/source-acme:dev spec" in out
    assert (tmp_path / "connectors" / "source-acme" / "source_acme" / "source.py").is_file()
    assert "- [Acme CRM](integrations/sources/acme.md)\n- [Faker]" in (tmp_path / "docs" / "SUMMARY.md").read_text()
    assert 'name: "Acme CRM"' in (tmp_path / "connectors" / "source-acme" / "metadata.yaml").read_text()
    assert not [p for p in (tmp_path / "connectors").iterdir() if p.name.startswith(".")]  # no staging left
    for written in (
        tmp_path / "connectors" / "source-acme",
        tmp_path / "docs" / "integrations" / "sources" / "acme.md",
    ):
        assert written.stat().st_mode & 0o044 == 0o044, f"{written} is not readable by others"  # umask 022


def test_prompts_ask_for_what_the_flags_did_not_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["destination-sql", "destination-warehouse", "", "Loads the warehouse."])
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("builtins.input", answer)
    monkeypatch.setattr(sys, "stdin", Terminal())
    code = generator.main(["--output-dir", str(tmp_path / "connectors"), "--docs-dir", str(tmp_path / "docs")])
    assert code == 0
    assert [q.split(" ")[0] for q in asked] == ["Template", "Connector", "Display", "One-line"]
    assert "[Warehouse]" in asked[2]  # the default title, taken by the empty answer
    page = (tmp_path / "docs" / "integrations" / "destinations" / "warehouse.md").read_text()
    assert page.startswith("# Warehouse\n\nLoads the warehouse.\n")


def test_the_generator_needs_only_the_standard_library(tmp_path: Path) -> None:
    """`python -S` has no site-packages at all: only the stdlib and tools/ (on PYTHONPATH) can be imported."""
    command = [sys.executable, "-S", "-m", "dockyard_tools.generate", "--no-input", "-t", "destination-python"]
    command += ["-n", "destination-files", "--output-dir", str(tmp_path / "c"), "--docs-dir", str(tmp_path / "d")]
    done = subprocess.run(
        command, env={"PYTHONPATH": str(REPO_ROOT / "tools")}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c" / "destination-files" / "destination_files" / "loader.py").is_file()


def test_list_shows_every_template() -> None:
    script = REPO_ROOT / "connector-templates" / "generator" / "generate.sh"
    done = subprocess.run([str(script), "--list"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == sorted(templates())
