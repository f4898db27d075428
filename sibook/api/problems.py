"""The shapes of the API's refusals, declared in the OpenAPI contract beside each route's answer.

Two shapes, by who refuses: the access layer answers FastAPI's ``{"detail": "..."}`` (401, 403,
429), the domain ``{"errors": [{field, reason, row}]}`` (404, 409, 422, 503). A malformed request
(wrong types, a missing field) is FastAPI's own 422, ``{"detail": [...]}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Detail(BaseModel):
    detail: str


class ProblemOut(BaseModel):
    field: str | None = None
    reason: str
    row: int | None = None


class Problems(BaseModel):
    errors: list[ProblemOut]


class OAuthError(BaseModel):
    """RFC 6749 §5.2: the token endpoint's refusals."""

    error: str


class RequestProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class MalformedRequest(BaseModel):
    detail: list[RequestProblem]


def _answer(model: type[BaseModel] | Any, description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


Responses = dict[int | str, dict[str, Any]]
# Every /api/v1 route may answer these; routes add their own (409, 202, ...) where they can.
COMMON: Responses = {
    401: _answer(Detail, "No valid bearer token (a public route answers this only to a bad "
                         "token that was sent)"),
    403: _answer(Detail, "The caller may not do this (kind, role, assurance level, unit, "
                         "province or realm)"),
    404: _answer(Problems, "Not found, or not visible to the caller (the two look the same)"),
    422: _answer(Problems | MalformedRequest, "Input refused: the rules' reasons by field "
                                              "(and row), or a malformed request"),
    503: _answer(Problems, "The database is busy past the lock wait or unreachable, or a "
                           "service it needs is down; nothing changed, retry after Retry-After"),
}
CONFLICT: Responses = {409: _answer(Problems, "Contradicts what is stored (e.g. filed already)")}
SIGN_IN: Responses = {
    302: {"description": "To the e-identity provider, or back to the portal when signed in"},
    429: _answer(Detail, "Too many sign-in attempts from this address; retry later"),
    503: _answer(Detail, "The e-identity provider cannot be reached; try again later"),
}
TOKEN: Responses = {
    200: {"description": "An access token (RFC 6749 §5.1)"},
    400: _answer(OAuthError, "Unsupported grant type"),
    401: _answer(OAuthError, "invalid_client: unknown, wrong or locked (one answer for all)"),
    429: _answer(Detail, "Too many attempts; retry later"),
}
