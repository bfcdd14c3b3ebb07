"""Dockyard's PostgreSQL destination."""
