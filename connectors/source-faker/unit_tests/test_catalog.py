"""A configured catalog the source cannot serve fails with a ConfigError before any record."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.capture import capture_read, configured_catalog, records_of
from source_faker.source import SourceFaker


def _read(catalog: Any) -> list[dict[str, Any]]:
    return capture_read(SourceFaker(), {"count": 3}, catalog)


def test_unknown_stream_names_the_valid_streams() -> None:
    with pytest.raises(ConfigError) as info:
        _read(configured_catalog(["users", "orders"]))
    assert info.value.message == (
        "Unknown stream 'orders' in the configured catalog (expected one of: products, purchases, users)."
    )


def test_unknown_sync_mode_is_rejected() -> None:
    with pytest.raises(ConfigError, match="Unknown sync mode 'merge' for stream users"):
        _read(configured_catalog(["users"], sync_mode="merge"))


@pytest.mark.parametrize("catalog", [[], {"streams": "users"}, {"streams": [{"stream": {}}]}, {"streams": [1]}])
def test_malformed_catalog_is_rejected(catalog: Any) -> None:
    with pytest.raises(ConfigError, match=r"(?i)configured catalog"):
        _read(catalog)


def test_only_selected_streams_are_read_in_catalog_order() -> None:
    messages = _read(configured_catalog(["purchases", "users"]))
    streams = [m["record"]["stream"] for m in messages if m["type"] == "RECORD"]
    assert streams == ["purchases"] * 3 + ["users"] * 3
    assert records_of(messages, "products") == []


def test_empty_catalog_reads_nothing() -> None:
    assert _read({"streams": []}) == []
