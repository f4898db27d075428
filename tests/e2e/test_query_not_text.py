"""A query string whose bytes are not UTF-8 (a script's raw ``?x=\\xff``) is refused with the
domain's 422 naming the query, on every path: Starlette's ``request.url`` raised
UnicodeDecodeError in the error handlers themselves, and the server answered a plain-text 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from sibook.access.settings import get_access_settings
from tests.asgi_raw import raw_get
from tests.e2e.test_access_matrix import populated_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("query")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIBOOK_KEYS_DIR", str(tmp / "keys"))
        built, engine, _ = populated_app(tmp / "query.db")
        yield built
        engine.dispose()
        get_access_settings.cache_clear()


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/rules/contribution", "/api/v1/nowhere",
                                  "/portal/book", "/portal/visits/", "/nowhere"])
def test_a_query_that_is_not_text_is_refused_naming_it(app: FastAPI, path: str) -> None:
    status, headers, body = raw_get(app, path, b"month=2026-01&x=\xff")
    assert (status, headers[b"content-type"]) == (422, b"application/json")
    [problem] = json.loads(body)["errors"]
    assert problem["field"] == "query"
    assert "not UTF-8 text (byte 17)" in problem["reason"]


def test_a_raw_utf8_query_is_still_read_as_typed(app: FastAPI) -> None:
    status, _, body = raw_get(app, "/healthz", "ghi_chú=Ả".encode())
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, headers, _ = raw_get(app, "/portal/visits/", "ho_ten=Nguyễn".encode())
    assert (status, headers[b"location"]) == (308, b"/portal/visits?ho_ten=Nguy%E1%BB%85n")
