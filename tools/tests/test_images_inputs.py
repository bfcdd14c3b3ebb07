"""What decides whether an image is rebuilt (input digests) and what enters its build context (staged wheels)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard_tools.base_image import DISTRIBUTIONS_LABEL, parse_distributions
from dockyard_tools.fingerprint import digest, tree_files
from dockyard_tools.wheelhouse import WheelhouseError, project_name, stage_wheels


def make_tree(root: Path) -> Path:
    for name, text in {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "pkg/__init__.py": "",
        "pkg/spec.json": "{}",
        "pkg/__pycache__/mod.cpython-311.pyc": "junk",
        "unit_tests/test_x.py": "def test(): pass",
        "sample_files/config.json": "{}",
        "pkg.egg-info/PKG-INFO": "x",
        "build/lib/pkg/old.py": "stale",
        "secrets/config.json": '{"password": 1}',
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_tree_files_are_what_can_reach_an_image(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "connector")

    assert [p.relative_to(root).as_posix() for p in tree_files(root)] == [
        "pyproject.toml",
        "pkg/__init__.py",
        "pkg/spec.json",
    ]


def test_digest_follows_content_not_tests_or_mtimes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "connector")
    before = digest(trees=[root], values=["base"])

    (root / "unit_tests" / "test_x.py").write_text("def test(): assert False")
    (root / "pkg" / "spec.json").touch()
    assert digest(trees=[root], values=["base"]) == before

    (root / "pkg" / "spec.json").write_text('{"changed": true}')
    assert digest(trees=[root], values=["base"]) != before


def test_digest_changes_with_the_base(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "connector")

    assert digest(trees=[root], values=["base-1"]) != digest(trees=[root], values=["base-2"])


def wheels(tmp_path: Path, *names: str) -> list[Path]:
    (tmp_path / "in").mkdir(exist_ok=True)
    for name in names:
        (tmp_path / "in" / name).write_bytes(b"PK")
    return [tmp_path / "in" / name for name in names]


def test_project_name_is_normalised() -> None:
    assert project_name(Path("Dockyard_Runtime-0.1.0-py3-none-any.whl")) == "dockyard-runtime"
    assert project_name(Path("zope.interface-7.0-cp311-cp311-linux_x86_64.whl")) == "zope-interface"


def test_staging_splits_own_wheels_from_deps_and_skips_what_the_base_has(tmp_path: Path) -> None:
    given = wheels(
        tmp_path,
        "source_example-0.1.0-py3-none-any.whl",
        "dockyard_runtime-0.1.0-py3-none-any.whl",
        "duckdb-2.0.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "orjson-3.13.0-cp311-cp311-manylinux_2_17_x86_64.whl",
    )

    staged = stage_wheels(
        given,
        tmp_path / "wheels",
        own={"source-example"},
        installed={"dockyard-runtime": "0.1.0", "orjson": "3.13.0"},
    )

    assert sorted(p.relative_to(tmp_path / "wheels").as_posix() for p in staged) == [
        "deps/duckdb-2.0.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "project/source_example-0.1.0-py3-none-any.whl",
    ]


def test_staging_refuses_a_second_version_of_a_base_distribution(tmp_path: Path) -> None:
    given = wheels(tmp_path, "orjson-3.12.0-cp311-cp311-manylinux_2_17_x86_64.whl")

    with pytest.raises(WheelhouseError, match=r"orjson==3.12.0 is needed but the base image has orjson==3.13.0"):
        stage_wheels(given, tmp_path / "wheels", own=set(), installed={"orjson": "3.13.0"})


def test_distributions_label_round_trips() -> None:
    labels = {DISTRIBUTIONS_LABEL: "airbyte-cdk==7.39.1 dockyard-runtime==0.1.0"}

    assert parse_distributions(labels) == {"airbyte-cdk": "7.39.1", "dockyard-runtime": "0.1.0"}
    assert parse_distributions({}) == {}
