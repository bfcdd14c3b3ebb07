"""DuckDB's dialect: every logical type round-trips through the SQL type DuckDB reports back."""

from __future__ import annotations

import duckdb
import pytest
from destination_duckdb.dialect import DuckdbDialect
from dockyard_runtime.sql.types import LogicalType

T = LogicalType
DIALECT = DuckdbDialect()


@pytest.mark.parametrize("kind", list(LogicalType))
def test_logical_type_round_trips_through_information_schema(kind: LogicalType) -> None:
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE t (c {DIALECT.type_sql(kind)})")
    (reported,) = connection.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 't'"
    ).fetchone()
    read_back = DIALECT.logical_from_sql(reported)
    assert DIALECT.type_sql(read_back) == DIALECT.type_sql(kind)


@pytest.mark.parametrize(
    ("sql_type", "kind"),
    [
        ("INTEGER", T.INTEGER),
        ("HUGEINT", T.INTEGER),
        ("DECIMAL(38,0)", T.BIG_INTEGER),
        ("DECIMAL(18,3)", T.NUMBER),
        ("DOUBLE", T.NUMBER),
        ("TIME WITH TIME ZONE", T.TIME_TZ),
        ("TIMESTAMP WITH TIME ZONE", T.TIMESTAMP_TZ),
        ("JSON", T.JSON),
        ("VARCHAR", T.STRING),
        ("BLOB", T.STRING),
    ],
)
def test_logical_from_sql(sql_type: str, kind: LogicalType) -> None:
    assert DIALECT.logical_from_sql(sql_type) is kind


@pytest.mark.parametrize(
    ("old", "new", "value", "expected"),
    [
        (T.INTEGER, T.NUMBER, "5", 5.0),
        (T.INTEGER, T.BIG_INTEGER, "5", 5),
        (T.INTEGER, T.STRING, "5", "5"),
        (T.STRING, T.JSON, "'text'", '"text"'),
        (T.BOOLEAN, T.STRING, "true", "true"),
        (T.DATE, T.TIMESTAMP_TZ, "DATE '2024-01-02'", "2024-01-02 00:00:00+00"),
    ],
)
def test_alter_column_type_keeps_values(old: LogicalType, new: LogicalType, value: str, expected: object) -> None:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f'CREATE TABLE "t" ("c" {DIALECT.type_sql(old)})')
    connection.execute(f'INSERT INTO "t" VALUES ({value})')
    connection.execute(DIALECT.alter_column_type('"t"', "c", old, new))
    (result,) = connection.execute('SELECT CAST("c" AS VARCHAR) FROM "t"').fetchone()
    assert result == (expected if isinstance(expected, str) else str(expected))


def test_epoch_ms_becomes_a_utc_timestamp() -> None:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    (value,) = connection.execute(f"SELECT CAST({DIALECT.ms_to_timestamp('1700000000123')} AS VARCHAR)").fetchone()
    assert value == "2023-11-14 22:13:20.123+00"


def test_no_key_index() -> None:
    assert DIALECT.create_key_index('"t"', "t_pk_idx", ["id"]) is None
