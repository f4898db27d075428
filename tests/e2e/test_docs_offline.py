"""The interactive docs (/docs, Swagger UI; /redoc) load nothing from another host: their
scripts, styles and icon are served by the app, so the docs work on a network with no way
out, and no CDN learns who reads them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sibook.api.app import create_app

_REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_page_references_only_the_app_itself(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    references = [a or b for a, b in _REFERENCE.findall(html)]
    assert references  # the page's script, style, icon and the OpenAPI document
    assert "//" not in html  # no host named anywhere in it, nor a scheme-relative //host
    for reference in references:
        assert reference.startswith("/"), reference
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content, reference


def test_swagger_ui_is_a_version_that_reads_openapi_3_1(client: TestClient) -> None:
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")
    script = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert re.search(r'"5\.[0-9]+\.[0-9]+"', script)  # Swagger UI 5 reads 3.1; 4 cannot


def test_the_contract_is_also_at_the_root_address_tools_try_first(client: TestClient) -> None:
    versioned = client.get("/api/v1/openapi.json")
    root = client.get("/openapi.json")
    assert root.status_code == 200 and root.headers["content-type"] == "application/json"
    assert root.json() == versioned.json()
    assert "/openapi.json" not in root.json()["paths"]
