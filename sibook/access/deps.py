"""FastAPI dependencies: who is calling (Bearer token) and the route's declared action.

Every ``/api/v1`` route declares exactly one action::

    @router.get("/persons/{personal_id}")
    def read(guard: Annotated[Guard, Depends(require(Action.PERSON_READ))], ...) -> ...:
        person_id = guard.person(personal_id)  # 404 unless visible; logged

The authorisation-matrix test fails for any route that does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sibook.access import credentials, revocation, tokens
from sibook.access.policy import RULES, Action, Guard
from sibook.access.principals import Anonymous, Citizen, Unauthenticated
from sibook.api.deps import SessionDep

_bearer = HTTPBearer(auto_error=False, description="Bearer token from /api/v1/auth/token or "
                     "the e-identity sign-in (/api/v1/auth/login)")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def route_of(request: Request) -> str:
    """'METHOD /path/{template}': the route, not the URL, so no personal ID lands in the log."""
    template = getattr(request.scope.get("route"), "path", None)
    path = request.url.path
    if template:  # the route knows its own path only; put back the prefixes it was mounted at
        parts = path.split("/")
        path = "/".join(parts[: len(parts) - template.count("/")]) + template
    return f"{request.method} {path}"[:200]


def purpose_of(request: Request, action: Action) -> str:
    """The caller's stated purpose (X-Purpose, e.g. a case number), else the action's default.
    An officer states it in Vietnamese ("kiểm tra hồ sơ"), sent as UTF-8: Starlette reads a
    header's bytes as Latin-1, which showed the citizen's access log "kiá»m tra há» sÆ¡".
    Bytes that are not UTF-8 stay as Latin-1 read them."""
    raw = request.headers.get("x-purpose", "")
    with suppress(UnicodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    stated = "".join(ch for ch in raw if ch.isprintable())
    return (stated.strip() or RULES[action].purpose)[:200]


class require:  # lower case: it reads as a verb at the route, Depends(require(Action.X))
    """The dependency a route declares; it authenticates, checks the action, returns a Guard."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, request: Request, session: SessionDep, creds: BearerDep) -> Guard:
        guard = Guard(principal=Anonymous(), action=self.action, route=route_of(request),
                      session=session, purpose=purpose_of(request, self.action))
        if creds is None:
            if self.action is not Action.PUBLIC:
                raise guard.refuse(Unauthenticated(token_sent=False), "unauthenticated")
            return guard
        try:
            guard.principal = tokens.authenticate(creds.credentials)
            if revocation.is_revoked(session, tokens.token_id(creds.credentials),
                                     tokens.session_id(creds.credentials)):  # signed out
                raise Unauthenticated()
            if credentials.revoked(session, guard.principal):  # sibook access revoke-client
                raise Unauthenticated()
        except Unauthenticated as exc:
            guard.principal = Anonymous()
            raise guard.refuse(exc, "unauthenticated") from None
        if isinstance(guard.principal, Citizen):
            # A citizen acts on their own record, which a purpose explains nothing of; one
            # stated on a number not theirs was text of their choosing (a number to call) in
            # that person's access log.
            guard.purpose = RULES[self.action].purpose
        guard.check(request.path_params.get("personal_id"))
        return guard


def declared_action(route: APIRoute) -> Action | None:
    """The action a route declares through ``require``, however deep in its dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, require):
            return dep.call.action
        stack.extend(dep.dependencies)
    return None


TOKEN_REQUIRED = "x-token-required"  # a public route that acts on the token it is sent


def mark_public(routes: Iterable[Any]) -> None:
    """Say in the OpenAPI that a public route needs no token (it takes one, and answers 401 only
    to a bad one): FastAPI lists the bearer scheme of ``require`` as required on every route;
    the empty requirement added beside it makes it optional."""
    for context in iter_route_contexts(list(routes)):  # included routers' routes too
        route = context.original_route
        if (isinstance(route, APIRoute) and declared_action(route) is Action.PUBLIC
                and not (route.openapi_extra or {}).get(TOKEN_REQUIRED)):
            route.openapi_extra = {**(route.openapi_extra or {}), "security": [{}]}
