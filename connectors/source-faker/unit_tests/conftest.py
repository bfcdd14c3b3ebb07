"""The `read` fixture: one in-process `read` of the Faker source, returning its protocol messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dockyard_runtime.source.capture import capture_read, configured_catalog
from source_faker.source import STREAMS, SourceFaker


@pytest.fixture
def read() -> Callable[..., list[dict[str, Any]]]:
    """`read(config, *streams, state=None, sync_mode="incremental")`; all streams when none is named."""

    def run(
        config: dict[str, Any], *streams: str, state: Any = None, sync_mode: str = "incremental"
    ) -> list[dict[str, Any]]:
        catalog = configured_catalog(streams or STREAMS, sync_mode=sync_mode)
        return capture_read(SourceFaker(), config, catalog, state)

    return run
