"""Pytest fixtures for real services; registered for the whole repo by the root conftest.py."""

from __future__ import annotations

from dockyard_tools.testing.postgres import postgres_cluster, postgres_db  # noqa: F401
