"""`config_fixture: fake_api`: the connector's own fake API is started around a test and its URL overlaid."""

from __future__ import annotations

import textwrap
import urllib.request
from pathlib import Path

import pytest
from dockyard_tools.acceptance.config import CONFIG_FILE, AcceptanceConfigError, load_config
from dockyard_tools.acceptance.config_fixtures import config_overlay
from dockyard_tools.acceptance.targets import config_loader

ACCEPTANCE = """
acceptance_tests:
  connection:
    tests:
      - config_path: config.json
      - config_path: bad.json
        status: exception
  discovery: {tests: [{config_path: config.json}]}
  basic_read: {tests: [{config_path: config.json}]}
  full_refresh: {tests: [{config_path: config.json}]}
dockyard:
  config_fixture: fake_api
"""

FAKE_API = textwrap.dedent(
    """
    import contextlib
    import threading
    from dataclasses import dataclass
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    EVENTS = []


    @dataclass
    class Api:
        url: str


    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            return None


    @contextlib.contextmanager
    def running_fake_api():
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        EVENTS.append("started")
        try:
            yield Api(f"http://127.0.0.1:{server.server_address[1]}")
        finally:
            server.shutdown()
            server.server_close()
            EVENTS.append("stopped")
    """
)


def _connector(tmp_path: Path, fake_api: str, extra: str = "") -> Path:
    directory = tmp_path / "source-http"
    directory.mkdir()
    (directory / "config.json").write_text('{"token": "abcdefgh"}')
    (directory / "bad.json").write_text('{"base_url": "ftp://example.com"}')
    (directory / "conftest.py").write_text(fake_api)
    (directory / CONFIG_FILE).write_text(ACCEPTANCE + extra)
    return directory


def test_the_fake_api_serves_while_the_block_runs_and_its_url_becomes_base_url(tmp_path: Path) -> None:
    acceptance = load_config(_connector(tmp_path, FAKE_API))
    with config_overlay(acceptance) as overlay:
        assert overlay is not None
        load = config_loader(acceptance, overlay)
        config = load("config.json")
        assert config == {"base_url": overlay["base_url"], "token": "abcdefgh"}
        with urllib.request.urlopen(config["base_url"] + "/health", timeout=10) as response:
            assert response.read() == b"ok"
        assert load("bad.json") == {"base_url": "ftp://example.com"}, "the file's own keys win"
    with pytest.raises(OSError):
        urllib.request.urlopen(overlay["base_url"] + "/health", timeout=10)


def test_a_named_fake_api_file_is_used(tmp_path: Path) -> None:
    directory = _connector(tmp_path, "", "  fake_api_file: integration_tests/fake_api.py\n")
    (directory / "integration_tests").mkdir()
    (directory / "integration_tests" / "fake_api.py").write_text(FAKE_API)
    with config_overlay(load_config(directory)) as overlay:
        assert overlay is not None and overlay["base_url"].startswith("http://127.0.0.1:")


def test_a_conftest_without_running_fake_api_is_named(tmp_path: Path) -> None:
    acceptance = load_config(_connector(tmp_path, "def fake_api():\n    pass\n"))
    with (
        pytest.raises(AcceptanceConfigError, match=r"conftest\.py has no running_fake_api\(\)"),
        config_overlay(acceptance),
    ):
        pass


def test_no_fixture_no_overlay(tmp_path: Path) -> None:
    directory = _connector(tmp_path, FAKE_API)
    (directory / CONFIG_FILE).write_text(ACCEPTANCE.replace("dockyard:\n  config_fixture: fake_api\n", ""))
    with config_overlay(load_config(directory)) as overlay:
        assert overlay is None


def test_postgres_needs_pytests_fixtures(tmp_path: Path) -> None:
    directory = _connector(tmp_path, FAKE_API)
    (directory / CONFIG_FILE).write_text(ACCEPTANCE.replace("fake_api", "postgres"))
    with pytest.raises(ValueError, match="needs pytest's fixtures"), config_overlay(load_config(directory)):
        pass
