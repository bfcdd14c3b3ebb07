"""Repo-wide pytest plugins: service fixtures (PostgreSQL, Docker) shared by every test directory."""

pytest_plugins = ["dockyard_tools.testing.fixtures"]
