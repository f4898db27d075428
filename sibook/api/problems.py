"""The shapes of the API's refusals, declared in the OpenAPI contract beside each route's answer.

Two shapes, by who refuses: the access layer answers FastAPI's ``{"detail": "..."}`` (401, 403,
429, and 503 when the e-identity provider is down), the domain ``{"errors": [{field, reason,
row}]}`` (404, 409, 422, 503). A malformed request (wrong types, a missing field) is FastAPI's own
422, ``{"detail": [...]}``, with the same problems in ``errors`` as the domain names its; a body
that cannot be parsed at all is its 400, ``{"detail": "..."}``.
The token endpoint answers as RFC 6749 §5.2 says instead: ``{"error": "..."}``, 400 or 401.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sibook.api.params import SHAPES
from sibook.core.period import MONTH_PATTERN, month_refused


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
    errors: list[ProblemOut] = Field(description=(
        "The same problems as the domain's refusals name theirs, so a client reads `errors` "
        "whichever refused: `field` the body's key, query or path parameter (a nested one "
        "dotted, `voluntary.income`), `reason` FastAPI's message (a month not written "
        "YYYY-MM: the commands' words, `must be a month as YYYY-MM, years 1900 to 2099`)"))


# Where FastAPI's ``loc`` says a value came from: not part of the field's name.
_SOURCES = ("body", "query", "path", "header", "cookie")


def named_problems(detail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's validation errors as ``{field, reason}``: before, a malformed request named
    its field only as ``loc``, so a client handled two shapes of 422 on one route (a payment's
    ``amount: 0`` in ``detail``, its ``paid_on`` in the future in ``errors``)."""
    named = []
    for problem in detail:
        loc = [str(part) for part in problem.get("loc", ())]
        field = ".".join(loc[1:] if loc[:1] and loc[0] in _SOURCES and len(loc) > 1 else loc)
        named.append({"field": field or None, "reason": _reason(problem)})
    return named


def _reason(problem: dict[str, Any]) -> str:
    """FastAPI's message, but a month, a personal ID or a unit code refused by its pattern, and
    a file sent as text, in plain words, the month's in those the commands use ("String should
    match pattern '^(19|20)...'" named no format a caller could follow)."""
    if problem.get("type") == "string_pattern_mismatch":
        pattern = (problem.get("ctx") or {}).get("pattern")
        if pattern == MONTH_PATTERN:
            return month_refused(problem.get("input"))
        if pattern in SHAPES:
            return f"must be {SHAPES[pattern]}, got {problem.get('input')!r}"
    if "Expected UploadFile" in str(problem.get("msg")):  # Starlette's words, Python's class
        return NOT_A_FILE
    return str(problem.get("msg", "malformed"))


# A form's file sent as a plain field (``curl -F file=book.pdf``, without the @): FastAPI said
# "Value error, Expected UploadFile, received: <class 'str'>".
NOT_A_FILE = ("must be a file: a part with a file name, as curl -F file=@book.pdf sends it "
              "(without the @, curl sends the name as text)")


def _answer(model: type[BaseModel] | Any, description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


# Declared so that a client written from the document knows to wait, and how long.
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def _busy(model: type[BaseModel] | Any, description: str) -> dict[str, Any]:
    """A 429 or 503: nothing was done, and Retry-After (where sent) says when to ask again."""
    return {**_answer(model, description), "headers": RETRY_AFTER}


Responses = dict[int | str, dict[str, Any]]
# Every /api/v1 route may answer these; routes add their own (409, 202, ...) where they can.
COMMON: Responses = {
    400: _answer(Detail, "The body cannot be parsed: JSON that is not UTF-8 or not JSON at all, "
                         "broken multipart: no boundary, or cut short before its closing "
                         "one (only operations that take a body)"),
    401: _answer(Detail, "No valid bearer token (a public route answers this only to a bad "
                         "token that was sent)"),
    403: _answer(Detail, "The caller may not do this (kind, role, assurance level, unit, "
                         "province or realm)"),
    404: _answer(Problems, "Not found, or not visible to the caller (the two look the same); "
                           "a path no operation has answers so too"),
    413: _answer(Problems, "The body is larger than the server takes (SIBOOK_MAX_UPLOAD_BYTES); "
                           "nothing was read further or changed"),
    422: _answer(Problems | MalformedRequest, "Input refused: the rules' reasons by field "
                                              "(and row), or a malformed request"),
    503: _busy(Problems | Detail, "The database is busy past the lock wait or unreachable, or "
                                    "a service it needs is down; nothing changed, retry after "
                                    "Retry-After. {detail} when the e-identity provider cannot "
                                    "be reached (to sign in, or to check a token it issued)"),
}
CONFLICT: Responses = {409: _answer(Problems, "Contradicts what is stored (e.g. filed already)")}
# An HI card's number (its SI code) that more than one person's card carries: the HI check
# refuses to answer for either.
SHARED_NUMBER: Responses = {409: _answer(Problems, (
    "More than one person's HI card carries that SI code: check by the personal ID"))}
# A registration's identifier (personal ID, unit code, household code) already held: one 409
# for every registry, never a 422 (registry.registered_again).
HELD: Responses = {409: _answer(Problems, (
    "Already registered: the personal ID, unit code or household code is held, by another "
    "record or by this one registered before with other content (each field that differs "
    "named, one problem each). The same registration sent again is not refused: 201 with "
    "its first answer and replayed true"))}
# A voluntary start (registry.registration.start_voluntary): sent again, answered as the first.
STARTED: Responses = {409: _answer(Problems, (
    "Contradicts what is stored: a person the defence or public-security ministry keeps, or "
    "this start made before with other content (each field that differs named, one problem "
    "each). The same start sent again is not refused: 201 with its first answer and replayed "
    "true"))}
SIGN_IN: Responses = {
    429: _busy(Detail, "Too many sign-in attempts from this address; retry later"),
}
GUESSING: Responses = {
    429: _busy(Detail, "Too many identities the population database refused for this caller "
                         "within the last 60 minutes (guessing a birth date); retry after "
                         "Retry-After"),
}
HI_GUESSING: Responses = {
    429: _busy(Detail, "Too many failed checks by this health facility's credential within "
                         "the last 60 minutes (HI checks of numbers nobody holds or card "
                         "numbers not the card on record, claim-file records naming a person "
                         "not as registered): every check and claim file is refused until "
                         "Retry-After"),
}


class StoppedFile(BaseModel):
    """A claim file with more records naming a person not as registered than its facility's
    credential had failed checks left: answered as far as they went."""

    detail: str
    errors: list[ProblemOut]


CLAIMS_GUESSING: Responses = {
    429: _busy(Detail | StoppedFile, (
        "Too many failed checks by this health facility's credential within the last 60 "
        "minutes (as for the HI check): every claim file is refused until Retry-After. A file "
        "with more records naming a person not as registered than were left is refused so "
        "too, {detail, errors}: its records were checked in order until the one past the "
        "budget, which `detail` names; `errors` holds the problems found before it and every "
        "record's own (its fields, dates, money), as a 422 would; nothing was recorded")),
}
FILING_RATE: Responses = {
    429: _busy(Detail, "Too many declarations filed for this unit within the minute (each "
                         "checks its lines' names against personal IDs); retry after "
                         "Retry-After"),
}
TOKEN: Responses = {
    200: {"description": "An access token (RFC 6749 §5.1)"},
    400: _answer(OAuthError, "invalid_request (a body that cannot be parsed, a missing or "
                             "malformed parameter) or unsupported_grant_type"),
    401: _answer(OAuthError, "invalid_client: unknown, wrong or locked (one answer for all)"),
    429: _busy(Detail, "Too many attempts; retry later"),
}
