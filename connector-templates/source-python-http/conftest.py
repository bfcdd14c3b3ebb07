"""A local stand-in for the API, shared by unit_tests/ and integration_tests/: tests never reach the internet.

`FakeApi` serves `GET /health` and `GET /items` (25 items, one hour apart) on 127.0.0.1 with every pagination
style the template knows (page, offset, cursor, next link), checks credentials (any of bearer, API key in a
header or query, basic) and can answer the next requests with 429 + Retry-After or 500. It records each request.
Change it to mirror your API: fixture pages copied from the real one make the best tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

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
        base = {"base_url": self.url, "credentials": {"auth_type": "bearer", "token": SECRET}, "page_size": 10}
        return {**base, **overrides}

    def answer(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.requests.append(Seen(path, params, headers))
        if self.failures:
            status, extra = self.failures.pop(0)
            return status, extra, {"error": "try again"}
        if not authorized(params, headers):
            return 401, {}, {"error": "bad credentials"}
        if path == "/health":
            return 200, {}, {"status": "ok"}
        if path == "/items":
            return 200, {}, self.page(params)
        return 404, {}, {"error": f"no route {path}"}

    def page(self, params: dict[str, str]) -> dict[str, Any]:
        rows = [i for i in self.items if i["updated_at"] > params.get("updated_since", "")]
        size = int(params.get("per_page") or params.get("limit") or 100)
        if "page" in params:
            start = (int(params["page"]) - 1) * size
        else:
            start = int(params.get("offset") or params.get("cursor") or 0)
        chunk = rows[start : start + size]
        more = start + size < len(rows)
        body: dict[str, Any] = {"data": chunk, "next_cursor": str(start + size) if more else None}
        query = {"cursor": str(start + size), "limit": str(size)}
        if "updated_since" in params:
            query["updated_since"] = params["updated_since"]
        body["next"] = f"{self.url}/items?{urlencode(query)}" if more else None
        return body


def authorized(params: dict[str, str], headers: dict[str, str]) -> bool:
    basic = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    return (
        headers.get("authorization") in (f"Bearer {SECRET}", basic)
        or headers.get("x-api-key") == SECRET
        or params.get("api_key") == SECRET
    )


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
