"""A local stand-in for the API, shared by unit_tests/ and integration_tests/: tests never reach the internet.

`FakeApi` serves `GET /items` (25 items, one hour apart) on 127.0.0.1 with cursor pagination (`next_cursor` in
the body, `?cursor=` back) and `?updated_since=`, checks the bearer token, and can answer the next requests with
429 + Retry-After or 500. It records each request. Change it to mirror your API.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

SECRET = "s3cret-test-token"
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeApi:
    url: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answered before serving, in order

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.failures += [(status, headers or {})] * times

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"base_url": self.url, "api_token": SECRET, "requests_per_second": 100, **overrides}

    def answer(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.requests.append(Seen(path, params, headers))
        if self.failures:
            status, extra = self.failures.pop(0)
            return status, extra, {"error": "try again"}
        if headers.get("authorization") != f"Bearer {SECRET}":
            return 401, {}, {"error": "bad credentials"}
        if path != "/items":
            return 404, {}, {"error": f"no route {path}"}
        since = dt.datetime.fromisoformat(params.get("updated_since", "2000-01-01T00:00:00+00:00"))
        rows = [i for i in self.items if dt.datetime.fromisoformat(i["updated_at"]) >= since]
        start, size = int(params.get("cursor") or 0), int(params.get("limit") or 100)
        more = start + size < len(rows)
        return 200, {}, {"data": rows[start : start + size], "next_cursor": str(start + size) if more else None}


def make_items(count: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": f"Item {i}", "updated_at": (EPOCH + dt.timedelta(hours=i)).isoformat()}
        for i in range(1, count + 1)
    ]


@contextmanager
def running_fake_api(items: int = 25) -> Iterator[FakeApi]:
    """A FakeApi serving on a free port of 127.0.0.1 until the block ends; `api.url` is its base URL."""
    api = FakeApi(items=make_items(items))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = api.answer(parsed.path, params, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with running_fake_api() as api:
        yield api
