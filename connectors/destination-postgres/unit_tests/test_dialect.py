"""PostgreSQL SQL text: types both ways, staging tables, schema creation, drops."""

from __future__ import annotations

import uuid

import pytest
from destination_postgres.dialect import PostgresDialect
from dockyard_runtime.sql.types import LogicalType as T


@pytest.mark.parametrize(
    ("sql_type", "logical"),
    [
        ("bigint", T.INTEGER),
        ("integer", T.INTEGER),
        ("smallint", T.INTEGER),
        ("numeric", T.NUMBER),
        ("numeric(38,0)", T.NUMBER),
        ("double precision", T.NUMBER),
        ("real", T.NUMBER),
        ("character varying(255)", T.STRING),
        ("text", T.STRING),
        ("boolean", T.BOOLEAN),
        ("jsonb", T.JSON),
        ("json", T.JSON),
        ("integer[]", T.JSON),
        ("date", T.DATE),
        ("time without time zone", T.TIME),
        ("time(3) with time zone", T.TIME_TZ),
        ("timestamp without time zone", T.TIMESTAMP),
        ("timestamp(6) with time zone", T.TIMESTAMP_TZ),
        ("uuid", T.STRING),
    ],
)
def test_logical_types_of_existing_columns(sql_type: str, logical: T) -> None:
    assert PostgresDialect().logical_from_sql(sql_type) is logical


def test_every_logical_type_round_trips_through_its_column_type() -> None:
    dialect = PostgresDialect()
    for kind in T:
        back = dialect.logical_from_sql(dialect.type_sql(kind))
        assert dialect.type_sql(back) == dialect.type_sql(kind), kind


def test_numeric_columns_stay_numbers_when_number_type_is_double() -> None:
    # Switching number_type must not make the loader "widen" an existing NUMERIC column to DOUBLE PRECISION.
    assert PostgresDialect(number_type="double").logical_from_sql("numeric") is T.NUMBER


def test_number_type() -> None:
    assert PostgresDialect().type_sql(T.NUMBER) == "NUMERIC"
    assert PostgresDialect(number_type="double").type_sql(T.NUMBER) == "DOUBLE PRECISION"
    assert PostgresDialect(number_type="double").type_sql(T.BIG_INTEGER) == "NUMERIC"


def test_staging_tables_are_unlogged() -> None:
    d = PostgresDialect()
    assert d.create_table('"s"."t"', [("a", "TEXT")], staging=True).startswith("CREATE UNLOGGED TABLE")
    assert d.create_table('"s"."t"', [("a", "TEXT")]).startswith("CREATE TABLE")


def test_create_schema_only_when_missing_and_quoted() -> None:
    sql = PostgresDialect().create_schema("it's")
    assert "nspname = 'it''s'" in sql and 'CREATE SCHEMA IF NOT EXISTS "it\'s"' in sql


def test_drop_cascade_is_opt_in() -> None:
    assert PostgresDialect().drop_table('"s"."t"') == 'DROP TABLE IF EXISTS "s"."t"'
    assert PostgresDialect(drop_cascade=True).drop_table('"s"."t"').endswith(" CASCADE")
    assert PostgresDialect().clear_table('"s"."t"') == 'TRUNCATE "s"."t"'


def test_row_ids_are_version_4_uuids_unique_per_merge() -> None:
    d = PostgresDialect()
    first, second = d.uuid_expr("s._dy_seq"), d.uuid_expr("s._dy_seq")
    assert first != second, "each merge draws a new random prefix"
    prefix = first.split("'")[1]
    assert len(prefix) == 24 and prefix[14] == "4" and prefix[19] in "89ab" and prefix.endswith("-")
    assert first.endswith(f"|| to_hex(s._dy_seq + {2**44}) AS UUID)")
    # what PostgreSQL computes: the prefix, then the shifted sequence number in hex, always twelve digits
    ids = [uuid.UUID(prefix + format(seq + 2**44, "x")) for seq in (0, 1, 2**44, 2**47 - 1)]
    assert len(set(ids)) == 4 and all(i.version == 4 for i in ids)
