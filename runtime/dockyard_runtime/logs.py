"""Python logging routed into Airbyte LOG messages on stdout, with secrets masked."""

from __future__ import annotations

import logging

from dockyard_runtime import protocol

_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "CRITICAL": "FATAL"}


class ProtocolLogHandler(logging.Handler):
    """Emit each log record as a protocol LOG message; tracebacks stay out unless debugging."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and logging.getLogger().isEnabledFor(logging.DEBUG):
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            protocol.log(_LEVELS.get(record.levelname, "INFO"), message)
        except Exception:  # pragma: no cover - logging must never break a sync
            self.handleError(record)


def install(level: int = logging.INFO) -> None:
    """Make the root logger speak the protocol; idempotent."""
    root = logging.getLogger()
    if not any(isinstance(h, ProtocolLogHandler) for h in root.handlers):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(ProtocolLogHandler())
    root.setLevel(level)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"dockyard.{name}")
