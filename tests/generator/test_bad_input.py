"""Bad input to generate.sh: one clear line on stderr, exit code 2, and nothing written anywhere."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dockyard_tools import REPO_ROOT
from dockyard_tools import generate as generator

SCRIPT = REPO_ROOT / "connector-templates" / "generator" / "generate.sh"


def snapshot(*roots: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes() if p.is_file() else b"<dir>"
        for root in roots
        if root.exists()
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    connectors, docs = tmp_path / "connectors", tmp_path / "docs"
    (connectors / "source-taken").mkdir(parents=True)
    (connectors / "source-taken" / "main.py").write_text("# somebody's work\n")
    (docs / "integrations" / "sources").mkdir(parents=True)
    (docs / "SUMMARY.md").write_text("# Summary\n\n## Sources\n\n- [Faker](integrations/sources/faker.md)\n")
    return connectors, docs


def generate_sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "--no-input", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-t", "source-python", "-n", "Source_Acme"], "Invalid connector name 'Source_Acme'"),
        (["-t", "source-python", "-n", "acme"], "Invalid connector name 'acme'"),
        (["-t", "source-python", "-n", "source-" + "x" * 40], "at most 40 characters"),
        (["-t", "source-python", "-n", "destination-acme"], "for a source template (expected: source-<name>)"),
        (["-t", "source-python", "-n", "source-taken"], "already exists"),
        (["-t", "source-python", "-n", "source-faker"], "already exists"),
        (["-t", "source-soap", "-n", "source-acme"], "Unknown template 'source-soap' (expected one of: "),
        (["-t", "source-python", "-n", "source-acme", "--title", 'Acme "CRM"'], "Invalid title"),
        (["-t", "source-python"], "Missing --name"),
        (["-n", "source-acme"], "Missing --template"),
        (["-t", "source-python", "-n", "source-acme", "--colour", "red"], "Unrecognized arguments: --colour red"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(places: tuple[Path, Path], args: list[str], says: str) -> None:
    connectors, docs = places
    before = snapshot(connectors, docs)
    done = generate_sh(*args, "--output-dir", str(connectors), "--docs-dir", str(docs))
    assert done.returncode == 2, done
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("generate: "), done.stderr
    assert says in done.stderr
    assert done.stdout == ""
    assert snapshot(connectors, docs) == before


@pytest.mark.parametrize("which", ["output", "docs"])
def test_an_unwritable_place_is_one_line_and_leaves_nothing(places: tuple[Path, Path], which: str) -> None:
    connectors, docs = places
    blocker = connectors.parent / "a-file"
    blocker.write_text("not a folder")
    output, docs_dir = (blocker / "connectors", docs) if which == "output" else (connectors, blocker)
    before = snapshot(connectors.parent)
    done = generate_sh(
        "-t", "source-python", "-n", "source-acme", "--output-dir", str(output), "--docs-dir", str(docs_dir)
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done
    assert "Cannot write the" in done.stderr
    assert snapshot(connectors.parent) == before


def test_a_failure_half_way_removes_what_was_written(
    places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    connectors, docs = places
    before = snapshot(connectors, docs)
    real = generator._atomic_write

    def fail_on_summary(path: Path, data: bytes, *, exclusive: bool) -> None:
        if path.name == "SUMMARY.md":
            raise OSError(28, "No space left on device", str(path))
        real(path, data, exclusive=exclusive)

    monkeypatch.setattr(generator, "_atomic_write", fail_on_summary)
    with pytest.raises(generator.GenerateError, match="No space left on device"):
        generator.generate("source-python", "source-acme", output_dir=connectors, docs_dir=docs)
    assert snapshot(connectors, docs) == before


def test_a_new_output_folder_is_removed_again_on_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(generator.GenerateError):
        generator.generate("source-python", "source-acme", output_dir=tmp_path / "new" / "connectors", docs_dir=blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
