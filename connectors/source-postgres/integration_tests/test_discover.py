"""Discovery against a real database: every common type, keys, views, schemas, cursor candidates."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.postgres

ALL_TYPES_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE all_types (
  id bigserial PRIMARY KEY,
  c_smallint smallint, c_integer integer NOT NULL DEFAULT 0, c_bigint bigint,
  c_numeric numeric(12, 3), c_numeric_free numeric, c_real real, c_double double precision,
  c_boolean boolean, c_text text, c_varchar varchar(20), c_char char(4), c_uuid uuid,
  c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz,
  c_interval interval, c_json json, c_jsonb jsonb, c_int_array integer[], c_text_array text[],
  c_enum mood, c_enum_array mood[], c_bytea bytea, c_money money, c_inet inet, c_domain positive_int,
  c_point point, c_bit bit(4)
);
"""


def test_discover_maps_every_common_type(source: Any) -> None:
    source.sql(ALL_TYPES_DDL)
    run = source.discover()
    assert run.exit_code == 0, run.messages
    stream = run.stream("all_types")
    props = stream["json_schema"]["properties"]
    assert props["id"] == {"type": "integer"}
    assert props["c_smallint"] == {"type": ["null", "integer"]}
    assert props["c_integer"] == {"type": "integer"}  # NOT NULL: no null in the type
    assert props["c_numeric"] == {"type": ["null", "number"], "precision": 12, "scale": 3}
    assert props["c_numeric_free"] == {"type": ["null", "number"]}
    assert props["c_real"]["type"] == props["c_double"]["type"] == ["null", "number"]
    assert props["c_boolean"] == {"type": ["null", "boolean"]}
    assert props["c_text"] == {"type": ["null", "string"]}
    assert props["c_varchar"] == {"type": ["null", "string"], "maxLength": 20}
    assert props["c_char"] == {"type": ["null", "string"], "maxLength": 4}
    assert props["c_uuid"] == {"type": ["null", "string"], "format": "uuid"}
    assert props["c_date"] == {"type": ["null", "string"], "format": "date"}
    assert props["c_time"]["airbyte_type"] == "time_without_timezone"
    assert props["c_timetz"]["airbyte_type"] == "time_with_timezone"
    assert props["c_timestamp"] == {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_without_timezone",
    }
    assert props["c_timestamptz"]["airbyte_type"] == "timestamp_with_timezone"
    assert props["c_interval"] == {"type": ["null", "string"]}
    assert props["c_json"] == props["c_jsonb"] == {"type": ["null", "string"]}
    assert props["c_int_array"] == {"type": ["null", "array"], "items": {"type": ["null", "integer"]}}
    assert props["c_text_array"]["items"] == {"type": ["null", "string"]}
    assert props["c_enum"] == {"type": ["null", "string"], "enum": ["sad", "ok", "happy", None]}
    assert props["c_enum_array"]["items"]["enum"] == ["sad", "ok", "happy", None]
    assert props["c_bytea"] == {"type": ["null", "string"], "contentEncoding": "base64"}
    assert props["c_money"] == {"type": ["null", "number"]}
    assert props["c_inet"] == props["c_point"] == props["c_bit"] == {"type": ["null", "string"]}
    assert props["c_domain"] == {"type": ["null", "integer"]}  # domain resolved to its base type
    assert stream["source_defined_primary_key"] == [["id"]]
    assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert stream["is_resumable"] is True
    candidates = stream["x-cursor-candidates"]
    assert {"id", "c_integer", "c_timestamp", "c_timestamptz", "c_date", "c_text", "c_numeric"} <= set(candidates)
    assert not {"c_json", "c_bytea", "c_int_array", "c_boolean", "c_enum"} & set(candidates)


def test_discover_lists_views_without_keys_and_composite_primary_keys(source: Any) -> None:
    source.sql(
        "CREATE TABLE pairs (a int, b text, updated_at timestamptz, PRIMARY KEY (b, a));"
        "CREATE VIEW pair_view AS SELECT a, b FROM pairs;"
        "CREATE MATERIALIZED VIEW pair_mat AS SELECT a FROM pairs;"
    )
    run = source.discover()
    names = [s["name"] for s in run.catalog["streams"]]
    assert names == ["pair_mat", "pair_view", "pairs"]
    assert run.stream("pairs")["source_defined_primary_key"] == [["b"], ["a"]]
    assert run.stream("pairs")["default_cursor_field"] == ["updated_at"]
    assert run.stream("pair_view")["source_defined_primary_key"] == []
    assert run.stream("pair_view")["is_resumable"] is False


def test_discover_only_configured_schemas_or_all_visible(source: Any) -> None:
    source.sql("CREATE SCHEMA sales; CREATE TABLE sales.orders (id int primary key); CREATE TABLE public.p (id int);")
    source.config["schemas"] = ["sales"]
    assert [(s["namespace"], s["name"]) for s in source.discover().catalog["streams"]] == [("sales", "orders")]
    source.config.pop("schemas")
    found = {(s["namespace"], s["name"]) for s in source.discover().catalog["streams"]}
    assert found == {("sales", "orders"), ("public", "p")}


def test_discover_skips_tables_the_user_cannot_read(source: Any) -> None:
    source.sql(
        "CREATE TABLE open_t (id int); CREATE TABLE secret_t (id int);"
        "CREATE ROLE limited LOGIN PASSWORD 'limited-pw';"
        "GRANT SELECT ON open_t TO limited;"
    )
    source.config.update(username="limited", password="limited-pw")
    try:
        names = [s["name"] for s in source.discover().catalog["streams"]]
    finally:
        source.sql("DROP OWNED BY limited; DROP ROLE limited;")
    assert names == ["open_t"]
