"""Configured catalog validation: every mistake is a config error that names the stream and the valid choices."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard_runtime.errors import ConfigError
from source_postgres.catalog import plan_streams
from source_postgres.discovery import Table, airbyte_stream
from source_postgres.types import Column

USERS = Table(
    1,
    "public",
    "users",
    "r",
    (
        Column("id", "integer", "integer", False),
        Column("doc", "jsonb", "json"),
        Column("updated_at", "timestamp with time zone", "timestamptz"),
    ),
    ("id",),
)
LOGS = Table(2, "public", "logs", "r", (Column("msg", "text", "string"),), ())


def _entry(name: str, sync_mode: str = "full_refresh", **extra: Any) -> dict[str, Any]:
    return {"stream": {"name": name, "namespace": "public"}, "sync_mode": sync_mode, **extra}


def test_plans_take_source_keys_and_configured_cursor() -> None:
    (plan,) = plan_streams(
        {"streams": [_entry("users", "incremental", cursor_field=["updated_at"])]}, [USERS], cdc=False
    )
    assert (plan.sync_mode, plan.cursor_field, plan.primary_key) == ("incremental", "updated_at", ("id",))


def test_unknown_stream_is_a_config_error_naming_it_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"Stream public\.gone .*available: public\.users"):
        plan_streams({"streams": [_entry("gone")]}, [USERS], cdc=False)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry("users", "incremental"), "has no cursor_field (usable columns: id, updated_at)"),
        (_entry("users", "incremental", cursor_field=["doc"]), "Cursor field 'doc'"),
        (_entry("users", "incremental", cursor_field=["nope"]), "Cursor field 'nope'"),
        (_entry("users", "mirror"), "Unknown sync mode 'mirror'"),
        (_entry("users", primary_key=[["missing"]]), "Primary key column 'missing'"),
    ],
)
def test_mistakes_are_config_errors(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_streams({"streams": [entry]}, [USERS], cdc=False)


def test_cdc_incremental_needs_a_primary_key_and_uses_the_lsn_cursor() -> None:
    (plan,) = plan_streams({"streams": [_entry("users", "incremental")]}, [USERS], cdc=True)
    assert plan.cursor_field == "_ab_cdc_lsn"
    with pytest.raises(ConfigError, match="no primary key"):
        plan_streams({"streams": [_entry("logs", "incremental")]}, [LOGS], cdc=True)


def test_catalog_stream_in_standard_and_cdc_modes() -> None:
    standard = airbyte_stream(USERS, cdc=False)
    assert standard["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert standard["default_cursor_field"] == ["updated_at"]
    assert standard["x-cursor-candidates"] == ["id", "updated_at"]
    cdc = airbyte_stream(USERS, cdc=True, in_publication=True)
    assert cdc["source_defined_cursor"] is True and cdc["default_cursor_field"] == ["_ab_cdc_lsn"]
    assert "_ab_cdc_deleted_at" in cdc["json_schema"]["properties"]
    not_published = airbyte_stream(USERS, cdc=True, in_publication=False)
    assert not_published["supported_sync_modes"] == ["full_refresh"]
    assert "_ab_cdc_lsn" not in not_published["json_schema"]["properties"]
