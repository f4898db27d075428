"""The headers a client must read to go on are in the OpenAPI, beside the answers that carry
them: where to poll a large filing (Location) and when to try again (Retry-After). A client
written from the document alone would otherwise not know the 202's job is at a URL at all."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_access_matrix import OPENAPI

FILING = OPENAPI["paths"]["/api/v1/employers/{code}/declarations"]["post"]["responses"]


def _headers(response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, Any] = response.get("headers", {})
    return headers


def test_a_large_filings_202_declares_its_location() -> None:
    location = _headers(FILING["202"])["Location"]
    assert location["schema"]["type"] == "string"
    assert "declaration-jobs" in location["description"]


def test_a_large_filings_202_and_its_polls_declare_when_to_poll() -> None:
    assert "Retry-After" in _headers(FILING["202"])
    polled = OPENAPI["paths"]["/api/v1/employers/{code}/declaration-jobs/{job_id}"]["get"]
    assert _headers(polled["responses"]["200"])["Retry-After"]["required"] is False


def test_every_429_and_503_declares_retry_after() -> None:
    missing = [f"{method.upper()} {path} {code}"
               for path, item in OPENAPI["paths"].items() for method, op in item.items()
               for code, response in op["responses"].items()
               if code in ("429", "503") and "Retry-After" not in _headers(response)]
    assert missing == []
