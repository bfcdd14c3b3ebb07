"""Every record conforms to the schema `discover` publishes, and the data hangs together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jsonschema
import pytest
from dockyard_runtime.source.capture import capture_read, configured_catalog, records_of
from source_faker.source import STREAMS, SourceFaker

COUNT = 1200


@pytest.fixture(scope="module")
def messages() -> list[dict[str, Any]]:
    return capture_read(SourceFaker(), {"count": COUNT, "seed": 5}, configured_catalog(STREAMS))


def _times(record: dict[str, Any]) -> dict[str, datetime]:
    return {
        key: datetime.fromisoformat(value) for key, value in record.items() if key.endswith("_at") and value is not None
    }


@pytest.mark.parametrize("stream", STREAMS)
def test_records_validate_against_discovered_schema(stream: str, messages: list[dict[str, Any]]) -> None:
    definitions = {d.name: d for d in SourceFaker().streams({})}
    validator = jsonschema.Draft7Validator(definitions[stream].json_schema)
    rows = records_of(messages, stream)
    assert rows
    for row in rows:
        errors = list(validator.iter_errors(row))
        assert not errors, f"{stream} id {row['id']}: {errors[0].message}"
        # every schema property is present, so destinations see no sparse columns
        assert set(row) == set(definitions[stream].json_schema["properties"])


@pytest.mark.parametrize("stream", STREAMS)
def test_timestamps_are_utc_iso_and_ordered(stream: str, messages: list[dict[str, Any]]) -> None:
    order = ["created_at", "added_to_cart_at", "purchased_at", "returned_at", "updated_at"]
    previous_updated = None
    for row in records_of(messages, stream):
        times = _times(row)
        assert all(t.utcoffset() is not None and t.utcoffset().total_seconds() == 0 for t in times.values())
        present = [times[key] for key in order if key in times]
        assert present == sorted(present), f"{stream} id {row['id']} has times out of order: {row}"
        assert previous_updated is None or times["updated_at"] > previous_updated
        previous_updated = times["updated_at"]


def test_ids_and_emails_are_unique(messages: list[dict[str, Any]]) -> None:
    users = records_of(messages, "users")
    assert [u["id"] for u in users] == list(range(1, COUNT + 1))
    assert len({u["email"] for u in users}) == COUNT


def test_purchases_reference_existing_users_and_products(messages: list[dict[str, Any]]) -> None:
    user_ids = {u["id"] for u in records_of(messages, "users")}
    product_ids = {p["id"] for p in records_of(messages, "products")}
    purchases = records_of(messages, "purchases")
    assert {p["user_id"] for p in purchases} <= user_ids
    assert {p["product_id"] for p in purchases} <= product_ids
    bought = [p for p in purchases if p["purchased_at"] is not None]
    returned = [p for p in purchases if p["returned_at"] is not None]
    assert 0.6 < len(bought) / len(purchases) < 0.8  # 70% of carts are bought
    assert 0.08 < len(returned) / len(bought) < 0.22  # 15% of purchases are returned
    assert all(p["purchased_at"] is not None for p in returned)


def test_discover_declares_cursor_and_primary_key() -> None:
    streams = [d.to_airbyte() for d in SourceFaker().streams({})]
    assert [s["name"] for s in streams] == ["users", "products", "purchases"]
    for stream in streams:
        assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert stream["source_defined_cursor"] is True
        assert stream["default_cursor_field"] == ["updated_at"]
        assert stream["source_defined_primary_key"] == [["id"]]
        assert stream["json_schema"]["properties"]["updated_at"]["format"] == "date-time"
