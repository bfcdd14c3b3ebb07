"""One exception root for Dockyard, branched by how the caller recovers.

The entrypoint turns each branch into an Airbyte TRACE message with the matching `failure_type`, so a
connector raises the branch that tells the user what to do and never formats a trace itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DockyardError(Exception):
    """Root of every error a connector raises on purpose.

    `message` is for the user and must not contain secrets; `context` carries key=value facts that are
    appended to the message ("Short statement. (key=value)").
    """

    failure_type = "system_error"

    def __init__(self, message: str, *, context: Mapping[str, Any] | None = None) -> None:
        self.message = message
        self.context = dict(context or {})
        super().__init__(self.render())

    def render(self) -> str:
        if not self.context:
            return self.message
        facts = ", ".join(f"{k}={v}" for k, v in self.context.items())
        return f"{self.message} ({facts})"


class ConfigError(DockyardError):
    """The user's config or catalog is wrong; retrying without changing it will fail again."""

    failure_type = "config_error"


class TransientError(DockyardError):
    """A service was unavailable or timed out; the same sync may succeed when retried."""

    failure_type = "transient_error"


class FatalError(DockyardError):
    """A bug or an unrecoverable state; the connector cannot go on."""

    failure_type = "system_error"
