"""The local sync: two real connector processes, state saved only from echoed (committed) states."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from dockyard_tools.catalogs import configure_catalog
from dockyard_tools.cli import main as cli_main
from dockyard_tools.sync import StateFile, SyncError, format_progress, run_sync


def _configs(tmp_path: Path, count: int) -> tuple[Path, Path, Path]:
    source = tmp_path / "faker.json"
    source.write_text(json.dumps({"count": count, "seed": 7, "records_per_slice": 50}))
    destination = tmp_path / "duckdb.json"
    destination.write_text(json.dumps({"destination_path": str(tmp_path / "out.duckdb")}))
    return source, destination, tmp_path / "state.json"


def _rows(tmp_path: Path, table: str) -> int:
    from destination_duckdb.reader import read_table

    return len(read_table({"destination_path": str(tmp_path / "out.duckdb")}, table))


def test_sync_lands_every_record_and_saves_state(tmp_path: Path) -> None:
    source, destination, state = _configs(tmp_path, 120)
    seen: list[int] = []
    result = run_sync(
        "source-faker",
        "destination-duckdb",
        source_config=source,
        destination_config=destination,
        state_path=state,
        on_progress=lambda counts, _s: seen.append(sum(counts.values())),
    )
    assert result.records["users"] == 120
    assert _rows(tmp_path, "users") == 120
    assert _rows(tmp_path, "purchases") == result.records["purchases"]
    saved = json.loads(state.read_text())
    assert {s["stream"]["stream_descriptor"]["name"] for s in saved if s["type"] == "STREAM"} >= {"users"}
    assert all("destinationStats" not in s for s in saved)
    assert seen and seen[-1] == result.total


def test_second_sync_is_incremental_and_adds_no_duplicates(tmp_path: Path) -> None:
    source, destination, state = _configs(tmp_path, 80)
    kwargs = {"source_config": source, "destination_config": destination, "state_path": state}
    run_sync("source-faker", "destination-duckdb", **kwargs)  # type: ignore[arg-type]
    second = run_sync("source-faker", "destination-duckdb", **kwargs)  # type: ignore[arg-type]
    assert second.records["users"] == 0, "the saved state must make the second read incremental"
    assert _rows(tmp_path, "users") == 80


def test_failed_destination_is_reported_with_its_message(tmp_path: Path) -> None:
    source, _, state = _configs(tmp_path, 10)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"destination_path": 5}))
    with pytest.raises(SyncError, match="destination_path"):
        run_sync("source-faker", "destination-duckdb", source_config=source, destination_config=bad, state_path=state)
    assert not state.exists(), "no state may be saved when nothing was committed"


def test_state_file_keeps_latest_state_per_stream(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    states = StateFile(path)
    for cursor in ("a", "b"):
        states.update(
            {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"}, "stream_state": {"c": cursor}}}
        )
    states.update({"type": "STREAM", "stream": {"stream_descriptor": {"name": "x"}, "stream_state": {}}})
    saved = StateFile(path).states
    assert len(saved) == 2
    assert saved["stream:.users"]["stream"]["stream_state"] == {"c": "b"}


def test_default_catalog_picks_dedup_for_incremental_streams_with_keys() -> None:
    discovered = {
        "streams": [
            {
                "name": "a",
                "supported_sync_modes": ["full_refresh", "incremental"],
                "default_cursor_field": ["u"],
                "source_defined_primary_key": [["id"]],
                "json_schema": {},
            },
            {"name": "b", "supported_sync_modes": ["full_refresh"], "json_schema": {}},
        ]
    }
    catalog = configure_catalog(discovered, sync_id=3)
    modes = {s["stream"]["name"]: (s["sync_mode"], s["destination_sync_mode"]) for s in catalog["streams"]}
    assert modes == {"a": ("incremental", "append_dedup"), "b": ("full_refresh", "overwrite")}
    assert configure_catalog(discovered, sync_id=3, streams=["b"])["streams"][0]["stream"]["name"] == "b"


def test_progress_line_shows_rate_per_stream() -> None:
    assert format_progress(Counter({"users": 1000}), 2.0) == "users 1,000 (500/s)"


def test_cli_rejects_unknown_connector(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["sync", "source-nope", "destination-duckdb", "--source-config", "x", "--destination-config", "y"])
    assert code == 1
    assert "Unknown connector 'source-nope'" in capsys.readouterr().err
