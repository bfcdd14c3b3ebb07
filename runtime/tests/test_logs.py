"""Python logging as protocol LOG messages: levels mapped, secrets masked, tracebacks only when debugging."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from dockyard_runtime import protocol, secrets
from dockyard_runtime.logs import ProtocolLogHandler


@pytest.fixture
def logger(protocol_out: Any) -> Iterator[logging.Logger]:
    log = logging.getLogger("dockyard-test-logs")
    handler = ProtocolLogHandler()
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield log
    finally:
        log.removeHandler(handler)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARN"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "FATAL"),
    ],
)
def test_levels_are_mapped(logger: logging.Logger, protocol_out: Any, level: int, expected: str) -> None:
    logger.log(level, "hello %s", "world")
    assert protocol_out.messages() == [{"type": "LOG", "log": {"level": expected, "message": "hello world"}}]


def test_log_messages_are_masked(logger: logging.Logger, protocol_out: Any) -> None:
    secrets.register(["s3cr3t-token"])
    logger.info("token=%s", "s3cr3t-token")
    assert protocol_out.logs() == ["token=****"]


def test_tracebacks_only_when_the_root_logger_debugs(logger: logging.Logger, protocol_out: Any) -> None:
    root = logging.getLogger()
    old = root.level
    try:
        for root_level, with_traceback in ((logging.INFO, False), (logging.DEBUG, True)):
            root.setLevel(root_level)
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("failed")
            message = protocol_out.logs()[-1]
            assert message.startswith("failed")
            assert ("Traceback" in message) is with_traceback
    finally:
        root.setLevel(old)


def test_error_trace_and_connection_status_shapes() -> None:
    trace = protocol.error_trace("Bad.", failure_type="config_error", internal_message="details")
    assert trace["type"] == "TRACE"
    assert trace["trace"]["type"] == "ERROR"
    assert isinstance(trace["trace"]["emitted_at"], float)
    assert trace["trace"]["error"] == {"message": "Bad.", "failure_type": "config_error", "internal_message": "details"}
    assert "internal_message" not in protocol.error_trace("Bad.", failure_type="system_error")["trace"]["error"]
    assert protocol.connection_status(True) == {
        "type": "CONNECTION_STATUS",
        "connectionStatus": {"status": "SUCCEEDED"},
    }
    assert protocol.connection_status(False, "no route") == {
        "type": "CONNECTION_STATUS",
        "connectionStatus": {"status": "FAILED", "message": "no route"},
    }
