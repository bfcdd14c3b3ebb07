"""The services a connector's sample config is completed with (`dockyard.config_fixture`), one per test.

A sample config cannot hold the address of a server that only exists while a test runs, so the acceptance
config names a fixture, and its connection details go under the config file's keys (the file's own keys win,
so an invalid config can still override, say, the password):

- `postgres`: a fresh, empty database (tools/dockyard_tools/testing/postgres.py), seeded with `setup_sql`.
- `fake_api`: the connector's own stand-in for its HTTP API, as its tests use it: the `running_fake_api()`
  context manager of its `conftest.py` (or of `dockyard.fake_api_file`), whose `url` becomes `base_url`.

The suite (tests/acceptance), the peer suite (tests/peer) and the generator's tests (tests/generator) all
enter `config_overlay`, so every fixture is started the same way everywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from dockyard_tools.acceptance.config import DEFAULT_FAKE_API_FILE, AcceptanceConfig, AcceptanceConfigError

FAKE_API_FACTORY = "running_fake_api"


@contextlib.contextmanager
def config_overlay(
    acceptance: AcceptanceConfig, fixture: Callable[[str], Any] | None = None
) -> Iterator[dict[str, Any] | None]:
    """Connection details of the acceptance config's fixture while the block runs (None when it names none).

    `fixture` is pytest's `request.getfixturevalue`, which `postgres` needs for its cluster and database.
    """
    if acceptance.config_fixture == "postgres":
        if fixture is None:
            raise ValueError("config_fixture postgres needs pytest's fixtures (pass request.getfixturevalue).")
        yield postgres_overlay(acceptance, fixture)
    elif acceptance.config_fixture == "fake_api":
        with fake_api_module(acceptance).running_fake_api() as api:
            yield {"base_url": str(api.url)}
    else:
        yield None


def postgres_overlay(acceptance: AcceptanceConfig, fixture: Callable[[str], Any]) -> dict[str, Any]:
    """A fresh, empty database's connection details, after running the acceptance config's `setup_sql` in it."""
    database: dict[str, Any] = fixture("postgres_db")
    if acceptance.setup_sql:
        cluster = fixture("postgres_cluster")
        cluster.psql(acceptance.path(acceptance.setup_sql).read_text(encoding="utf-8"), database["database"])
    return database


def fake_api_module(acceptance: AcceptanceConfig) -> ModuleType:
    """The connector's module holding `running_fake_api()`, imported from its file once per session.

    The connector is not installed (a rendering lives in a temporary folder), so the file is loaded by path
    under a name derived from it; it is kept in sys.modules because dataclasses look their module up there.
    """
    path = acceptance.path(acceptance.fake_api_file or DEFAULT_FAKE_API_FILE).resolve()
    name = f"_dockyard_fake_api_{hashlib.sha1(str(path).encode()).hexdigest()[:12]}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise AcceptanceConfigError(f"{path} cannot be imported as a Python module.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    if not callable(getattr(module, FAKE_API_FACTORY, None)):
        raise AcceptanceConfigError(
            f"{path} has no {FAKE_API_FACTORY}(): config_fixture fake_api needs a context manager of that name "
            "yielding an object with a `url` (docs/acceptance-tests.md)."
        )
    return module
