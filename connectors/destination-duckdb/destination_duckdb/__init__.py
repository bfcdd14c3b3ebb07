"""Dockyard's DuckDB destination."""
