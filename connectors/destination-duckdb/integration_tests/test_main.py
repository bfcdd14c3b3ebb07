"""The connector as a process: `python main.py spec|check|write` with the sample files and tmp databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from destination_duckdb.reader import read_table

CONNECTOR = Path(__file__).resolve().parents[1]
SAMPLES = CONNECTOR / "sample_files"


def run(*args: str | Path, stdin: bytes = b"") -> tuple[int, list[dict[str, Any]], str]:
    done = subprocess.run(
        [sys.executable, str(CONNECTOR / "main.py"), *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    return done.returncode, messages, done.stderr.decode()


def of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    return {"destination_path": str(tmp_path / "out" / "sync.duckdb"), "schema": "main"}


def config_file(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def write(tmp_path: Path, config: dict[str, Any]) -> tuple[int, list[dict[str, Any]], str]:
    return run(
        "write",
        "--config",
        config_file(tmp_path, config),
        "--catalog",
        SAMPLES / "configured_catalog.json",
        stdin=(SAMPLES / "messages.jsonl").read_bytes(),
    )


def test_spec_is_the_packaged_spec() -> None:
    code, messages, stderr = run("spec")
    assert code == 0 and stderr == ""
    packaged = json.loads((CONNECTOR / "destination_duckdb" / "spec.json").read_text())
    assert messages == [{"type": "SPEC", "spec": packaged}]


def test_check_succeeds_and_creates_the_folder(tmp_path: Path, config: dict[str, Any]) -> None:
    code, messages, stderr = run("check", "--config", config_file(tmp_path, config))
    assert code == 0 and stderr == ""
    assert messages == [{"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}]
    assert Path(config["destination_path"]).parent.is_dir()


@pytest.mark.parametrize(
    "path",
    ["/proc/dockyard-cannot-create-this/db.duckdb", "{tmp}/a-file/db.duckdb", "{tmp}"],
    ids=["unwritable", "below-a-file", "a-directory"],
)
def test_check_fails_cleanly_on_a_bad_path(tmp_path: Path, path: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    code, messages, stderr = run(
        "check", "--config", config_file(tmp_path, {"destination_path": path.format(tmp=tmp_path)})
    )
    assert "Traceback" not in stderr and "Traceback" not in json.dumps(messages)
    assert code == 0
    (status,) = of_type(messages, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert status["connectionStatus"]["message"]


def test_check_with_invalid_config_is_a_config_error(tmp_path: Path) -> None:
    code, messages, stderr = run("check", "--config", config_file(tmp_path, {"schema": "main"}))
    assert code == 1 and stderr == ""
    (trace,) = messages
    assert trace["trace"]["error"]["failure_type"] == "config_error"
    assert "destination_path" in trace["trace"]["error"]["message"]


def test_write_sample_files(tmp_path: Path, config: dict[str, Any]) -> None:
    code, messages, stderr = write(tmp_path, config)
    assert code == 0, messages
    assert "Traceback" not in stderr
    states = of_type(messages, "STATE")
    assert [s["state"]["destinationStats"]["recordCount"] for s in states] == [5.0, 1.0, 3.0]
    assert [s["state"]["stream"]["stream_descriptor"]["name"] for s in states] == ["users", "users", "products"]
    users = {r["id"]: r for r in read_table(config, "users")}
    assert sorted(users) == [1, 2, 3, 4, 5]
    assert users[2]["name"] == "User 2 (renamed)"
    assert users[2]["address"] is None
    assert json.loads(users[1]["address"]) == {"city": "Lyon", "zip": "69001"}
    assert sorted(r["make"] for r in read_table(config, "products")) == ["Audi", "Ford", "Mazda"]
    assert {json.loads(r["_airbyte_meta"])["sync_id"] for r in read_table(config, "products")} == {101}


def test_write_the_same_sync_twice_is_idempotent(tmp_path: Path, config: dict[str, Any]) -> None:
    write(tmp_path, config)
    code, messages, _ = write(tmp_path, config)
    assert code == 0
    assert len(of_type(messages, "STATE")) == 3
    assert len(read_table(config, "users")) == 5
    assert len(read_table(config, "products")) == 3


def test_write_with_a_missing_catalog_is_a_config_error(tmp_path: Path, config: dict[str, Any]) -> None:
    code, messages, _ = run(
        "write", "--config", config_file(tmp_path, config), "--catalog", tmp_path / "none.json", stdin=b""
    )
    assert code == 1
    (trace,) = of_type(messages, "TRACE")
    assert trace["trace"]["error"]["failure_type"] == "config_error"
    assert "catalog file does not exist" in trace["trace"]["error"]["message"]


def test_write_with_an_unknown_sync_mode_is_a_config_error(tmp_path: Path, config: dict[str, Any]) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": [{"stream": {"name": "s"}, "destination_sync_mode": "upsert"}]}))
    code, messages, _ = run("write", "--config", config_file(tmp_path, config), "--catalog", catalog, stdin=b"")
    assert code == 1
    (trace,) = of_type(messages, "TRACE")
    assert trace["trace"]["error"]["message"] == (
        "Unknown sync mode 'upsert' for stream s (expected: append, overwrite, append_dedup)."
    )
