"""Connection failures of PostgreSQL connectors: what the user must fix vs what a retry may fix."""

from __future__ import annotations

import pytest
from dockyard_runtime.errors import ConfigError, TransientError
from dockyard_runtime.postgres import connection_error, first_line


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('FATAL:  password authentication failed for user "x"\nDETAIL: more', ConfigError),
        ('FATAL:  database "nope" does not exist', ConfigError),
        ('could not translate host name "db" to address', ConfigError),
        ('connection to server at "127.0.0.1", port 1 failed: Connection refused', TransientError),
        ("server closed the connection unexpectedly", TransientError),
    ],
)
def test_connection_errors_are_classified_by_how_to_recover(message: str, expected: type) -> None:
    error = connection_error(RuntimeError(message), {"host": "h"})
    assert type(error) is expected
    assert error.render() == f"Could not connect to PostgreSQL: {message.splitlines()[0]} (host=h)"


def test_first_line_drops_detail_that_may_quote_the_connection_string() -> None:
    assert first_line(RuntimeError("top\npassword=secret")) == "top"
    assert first_line(RuntimeError("")) == "RuntimeError"
