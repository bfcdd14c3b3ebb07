"""The scan SQL: key order, row-comparison bounds, and identifiers that need quoting or % escaping."""

from __future__ import annotations

from source_postgres.discovery import Table
from source_postgres.scan import scan_sql
from source_postgres.types import Column

A = Column("a", "timestamp without time zone", "timestamp")
B = Column("b%", "integer", "integer")
TABLE = Table(1, "s", 'we"ird', "r", (A, B, Column("blob", "bytea", "bytea")), ("b%",))


def test_full_scan_orders_by_key_and_renders_with_row_to_json() -> None:
    sql = scan_sql(TABLE, [B])
    assert sql.startswith('SELECT row_to_json(r.*)::text, src."b%%"::text FROM "s"."we""ird" AS src')
    assert "encode(src.\"blob\", 'base64')" in sql
    assert sql.endswith('ORDER BY src."b%%"')
    assert "WHERE" not in sql and "LIMIT" not in sql and "OFFSET" not in sql


def test_bounded_page_compares_rows_and_casts_bound_values() -> None:
    sql = scan_sql(TABLE, [A, B], after=2, limit=50)
    assert 'WHERE (src."a", src."b%%") > (%s::timestamp without time zone, %s::integer)' in sql
    assert sql.endswith('ORDER BY src."a", src."b%%" LIMIT 50')


def test_cursor_only_bound_and_not_null_filter() -> None:
    sql = scan_sql(TABLE, [A, B], after=1, not_null=[A])
    assert 'WHERE (src."a") > (%s::timestamp without time zone) AND src."a" IS NOT NULL' in sql


def test_extras_are_added_to_the_record() -> None:
    sql = scan_sql(TABLE, [B], extras=['%s::bigint AS "_ab_cdc_lsn"'])
    assert '%s::bigint AS "_ab_cdc_lsn") AS r' in sql
