"""Pytest fixtures for real services; registered for the whole repo by the root conftest.py."""

from __future__ import annotations
