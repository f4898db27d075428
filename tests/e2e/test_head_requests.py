"""HEAD is answered as the GET it stands for, without the body (RFC 9110 §9.1: every server
supports GET and HEAD): a monitor's HEAD of /healthz, a download manager's HEAD of a book's PDF.
It is authorised and audit-logged as that GET, and the OpenAPI still lists only the GETs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.core.db import unit_of_work
from tests.e2e.test_access_matrix import OPENAPI, OTHER, OWN, PRINCIPALS, bearer, populated_app


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    app, engine, _ = populated_app(tmp_path / "head.db")
    yield TestClient(app, raise_server_exceptions=False), engine
    engine.dispose()
    get_access_settings.cache_clear()


def _logged(engine: Any) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)


@pytest.mark.parametrize("path", ["/healthz", "/portal/", "/docs",
                                  "/api/v1/openapi.json"])
def test_a_public_head_has_the_gets_status_and_headers_and_no_body(
        api: tuple[TestClient, Any], path: str) -> None:
    client, _ = api
    got, head = client.get(path), client.head(path)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_a_head_of_personal_data_is_authorised_and_logged_as_its_get(
        api: tuple[TestClient, Any]) -> None:
    client, engine = api
    citizen = bearer(PRINCIPALS["citizen"])
    before = _logged(engine)
    own = client.head(f"/api/v1/books/{OWN}/pdf", headers=citizen)
    assert own.status_code == 200 and own.content == b""
    assert own.headers["content-type"] == "application/pdf"
    assert int(own.headers["content-length"]) > 1000  # the PDF's size, not an empty answer's
    assert _logged(engine) > before  # a read, in the citizen's "who looked" log
    assert client.head(f"/api/v1/books/{OTHER}/pdf", headers=citizen).status_code in (403, 404)
    anonymous = client.head(f"/api/v1/persons/{OWN}")
    assert anonymous.status_code == 401 and anonymous.content == b""


def test_a_head_where_only_post_is_allowed_is_a_405_and_allow_names_head_beside_get(
        api: tuple[TestClient, Any]) -> None:
    client, _ = api
    assert client.head("/api/v1/verify").status_code == 405
    assert client.post("/healthz").headers["allow"] == "GET, HEAD"


def test_the_openapi_lists_no_head_operations() -> None:
    assert not [path for path, item in OPENAPI["paths"].items() if "head" in item]
