"""The DuckDB client: CSV and TSV bulk loading, table introspection, connection errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from destination_duckdb.client import DuckdbClient, connect
from destination_duckdb.destination import DestinationDuckdb, loader_options
from dockyard_runtime.errors import ConfigError


@pytest.fixture
def client(tmp_path: Path) -> DuckdbClient:
    return DuckdbClient(str(tmp_path / "db.duckdb"))


def test_copy_csv_keeps_empty_strings_apart_from_nulls(client: DuckdbClient) -> None:
    client.execute('CREATE TABLE "t" ("a" VARCHAR, "b" BIGINT, "c" VARCHAR)')
    client.copy_csv('"t"', ["a", "b", "c"], b'"",1,\n,,"x"\n"say ""hi""\nnext",3,"NULL"\n')
    assert client.query('SELECT a, b, c FROM "t" ORDER BY rowid') == [
        ("", 1, None),
        (None, None, "x"),
        ('say "hi"\nnext', 3, "NULL"),
    ]
    client.close()


def test_copy_csv_into_a_column_subset(client: DuckdbClient) -> None:
    client.execute('CREATE TABLE "t" ("a" VARCHAR, "b" BIGINT)')
    client.copy_csv('"t"', ["b"], b"7\n")
    assert client.query('SELECT a, b FROM "t"') == [(None, 7)]
    client.close()


def test_copy_tsv_reads_values_as_they_are_and_backslash_n_as_null(client: DuckdbClient) -> None:
    client.execute('CREATE TABLE "t" ("a" VARCHAR, "b" BIGINT, "c" BOOLEAN)')
    client.copy_tsv('"t"', ["a", "b", "c"], b'say "hi", ok\t1\tt\n\\N\t\\N\tf\n\t3\t\\N\nback\\slash\t4\tt\n')
    assert client.query('SELECT a, b, c FROM "t" ORDER BY rowid') == [
        ('say "hi", ok', 1, True),
        (None, None, False),
        ("", 3, None),
        ("back\\slash", 4, True),
    ]
    client.close()


def test_table_columns(client: DuckdbClient) -> None:
    assert client.table_columns("main", "missing") is None
    client.execute('CREATE SCHEMA "s"')
    client.execute('CREATE TABLE "s"."t" ("id" BIGINT, "doc" JSON, "at" TIMESTAMPTZ)')
    assert client.table_columns("s", "t") == {"id": "BIGINT", "doc": "JSON", "at": "TIMESTAMP WITH TIME ZONE"}
    assert client.table_columns("main", "t") is None
    client.close()


def test_rollback_without_a_transaction_is_harmless(client: DuckdbClient) -> None:
    client.rollback()
    client.begin()
    client.execute('CREATE TABLE "t" ("a" BIGINT)')
    client.rollback()
    assert client.table_columns("main", "t") is None
    client.close()


def test_sessions_are_in_utc(tmp_path: Path) -> None:
    connection = connect(str(tmp_path / "x.duckdb"))
    assert connection.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    connection.close()


def test_connect_creates_the_folder(tmp_path: Path) -> None:
    connect(str(tmp_path / "a" / "b" / "x.duckdb")).close()
    assert (tmp_path / "a" / "b" / "x.duckdb").exists()


def test_connect_in_memory() -> None:
    connection = connect(":memory:")
    assert connection.execute("SELECT 1").fetchone() == (1,)


def test_connect_errors_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="Cannot create the folder of destination_path"):
        connect(str(tmp_path / "file" / "x.duckdb"))
    (tmp_path / "not-a-db.duckdb").write_text("plain text, not a database")
    with pytest.raises(ConfigError, match="Cannot open the DuckDB database"):
        connect(str(tmp_path / "not-a-db.duckdb"))


def test_check_connection(tmp_path: Path) -> None:
    destination = DestinationDuckdb()
    assert destination.check_connection({"destination_path": str(tmp_path / "ok.duckdb"), "schema": "Raw Data"}) is None
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="destination_path"):  # `check` reports it as a FAILED status
        destination.check_connection({"destination_path": str(tmp_path / "file" / "x.duckdb")})


def test_loader_options_defaults_and_overrides() -> None:
    options = loader_options({"destination_path": ":memory:"})
    assert (options.default_schema, options.unique_conflict_method, options.schema_change_policy) == (
        "main",
        "update",
        "evolve",
    )
    options = loader_options({"schema": "raw", "unique_conflict_method": "ignore", "schema_change_policy": "fail"})
    assert (options.default_schema, options.unique_conflict_method, options.schema_change_policy) == (
        "raw",
        "ignore",
        "fail",
    )
