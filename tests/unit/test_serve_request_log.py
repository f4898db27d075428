"""`sibook serve` logs each request without the personal IDs and card numbers its address
holds, nor its query (the sign-in callback's one-time code): uvicorn wrote
'"GET /api/v1/books/001089012345/pdf HTTP/1.1" 200' beside the caller's address, who looked at
whom, outside the access log and its rules."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
import pytest
import uvicorn

from tests.servers import free_port
from tests.unit.test_serve_proxies import served_with


async def answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any request answered 200: the log line is the server's, whatever the app."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_the_request_log_names_no_person(monkeypatch: pytest.MonkeyPatch,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(answer, host="127.0.0.1", port=port,
                                           log_config=served_with(monkeypatch).get(
                                               "log_config", uvicorn.config.LOGGING_CONFIG)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):  # 10 s
        if server.started:
            break
        time.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        base = f"http://127.0.0.1:{port}"
        for target in ("/api/v1/books/001089012345/pdf",
                       "/api/v1/hi-cards/DN4010101234567/validity",
                       "/api/v1/hi-cards/%20001089012345%20/validity",
                       "/api/v1/persons?employer=0101234567",
                       "/api/v1/auth/callback?code=one-time-code&state=portal.x",
                       "/portal/book"):
            assert httpx2.get(base + target).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
    logged = capfd.readouterr()
    lines = logged.out + logged.err
    for secret in ("001089012345", "0101234567", "one-time-code", "portal.x"):
        assert secret not in lines
    for kept in ('"GET /api/v1/books/{id}/pdf HTTP/1.1" 200',
                 '"GET /api/v1/hi-cards/{id}/validity HTTP/1.1" 200',
                 '"GET /api/v1/auth/callback HTTP/1.1" 200', '"GET /portal/book HTTP/1.1" 200'):
        assert kept in lines, lines
