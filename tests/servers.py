"""Real HTTP servers for tests: an ASGI app served by uvicorn in a thread on a free port, and the
app itself on a test's database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Request
from sqlalchemy import Engine, text

from sibook.access import ratelimit
from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.api.deps import get_session, route_reads_only
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work


def app_on(engine: Engine) -> FastAPI:
    """The app, each request's unit of work on ``engine`` (settings must be in place)."""
    app = create_app()

    def session(request: Request) -> Iterator[Any]:
        with unit_of_work(engine, reads_only=route_reads_only(request)) as s:
            yield s

    app.dependency_overrides[get_session] = session
    return app


@contextmanager
def configured_for(engine: Engine, keys: Any, monkeypatch: pytest.MonkeyPatch
                   ) -> Iterator[Engine]:
    """``engine`` as the CLI's and the app's database (on PostgreSQL, the test's own schema),
    the agency's keys in ``keys``; the settings read afresh, and again once the block ends."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    monkeypatch.setenv("SIBOOK_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(keys))
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    ratelimit.reset()
    yield engine
    monkeypatch.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` until the block ends; yields the base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
