"""Tests that need a service skip locally when it is missing, and fail under CI (CI=true).

One helper decides, so no test invents its own rule.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_missing(service: str, reason: str) -> None:
    """Skip the calling test, or fail it when running under CI, because `service` is unavailable."""
    message = f"{service} is unavailable: {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: tests never skip for a missing service)", pytrace=False)
    pytest.skip(message)
