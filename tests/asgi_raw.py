"""A request sent straight into the ASGI app with its query's bytes as a client sent them (raw
UTF-8 from curl or a script, or bytes that are no text at all): httpx, and so the TestClient,
escapes a query before the app sees it, as a browser does."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp


def raw_get(app: ASGIApp, path: str, query: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    """The status, headers and body of a GET of ``path`` with ``query`` as its raw bytes."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                     "method": "GET", "scheme": "http", "path": path,
                     "raw_path": path.encode(), "query_string": query, "root_path": "",
                     "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
                     "server": ("testserver", 80)}, receive, send))
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return sent[0]["status"], dict(sent[0]["headers"]), body
