"""Fixtures shared by the runtime's tests: captured protocol output and a clean secret registry per test."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from dockyard_runtime import protocol, secrets


class CapturedOutput(io.BytesIO):
    """Protocol output of one test, readable as parsed messages."""

    def messages(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.getvalue().splitlines() if line.strip()]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("type") == kind]

    def logs(self, level: str | None = None) -> list[str]:
        return [m["log"]["message"] for m in self.of_type("LOG") if level is None or m["log"]["level"] == level]


@pytest.fixture(autouse=True)
def _clean_secrets() -> Iterator[None]:
    """The registry is process-global: a test must never see secrets registered by another."""
    saved = secrets.registered()
    secrets._secrets.clear()
    yield
    secrets._secrets[:] = saved


@pytest.fixture
def protocol_out() -> Iterator[CapturedOutput]:
    """Route protocol messages (and runtime logs, as LOG messages) into a buffer for the test."""
    from dockyard_runtime.logs import ProtocolLogHandler

    previous = protocol.output()
    captured = CapturedOutput()
    protocol.set_output(captured)
    handler = ProtocolLogHandler()
    logger = logging.getLogger("dockyard")
    logger.addHandler(handler)
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # a root handler an earlier in-process launch installed would duplicate every line
    try:
        yield captured
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
        protocol.set_output(previous)
