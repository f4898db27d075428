"""Application factory. Routers live beside their part of the domain; this file only mounts them."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import sibook
from sibook.access import api as access_api
from sibook.access.deps import mark_public
from sibook.access.dev_idp import create_dev_idp
from sibook.access.settings import get_access_settings
from sibook.api import ids, problems, rules
from sibook.api.body_limit import BodyLimit
from sibook.api.deps import answer_by_route
from sibook.api.head import HeadAsGet
from sibook.api.multipart_end import MultipartEnd
from sibook.api.query_text import QueryText
from sibook.api.retry import RetryAborted
from sibook.benefits import api as benefits_api
from sibook.book import api as book_api
from sibook.contributions import api as contributions_api
from sibook.contributions import voluntary_api
from sibook.core.config import get_settings
from sibook.core.errors import (
    ConflictError,
    NamedError,
    NotFoundError,
    RecordedOtherwise,
    ServerFault,
    ValidationError,
)
from sibook.portal import pages as portal
from sibook.portal import web as portal_web
from sibook.registry import api as registry_api
from sibook.registry import employers_api
from sibook.registry.registration import PopulationServiceDown
from sibook.signing.keys import KeyUnusable
from sibook.visits import api as visits_api

API_PREFIX = "/api/v1"
_log = logging.getLogger(__name__)


def create_app() -> FastAPI:
    # The docs pages' scripts and styles (Swagger UI, ReDoc) come from the app itself, not a
    # CDN: they work offline, and no third party learns who reads them.
    app = FastAPIOffline(
        title="sibook",
        version=sibook.__version__,
        summary="Electronic Social Insurance Book and the National Database on Insurance",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url="/redoc",
        static_url="/docs/assets",
    )

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": sibook.__version__}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_at_the_root() -> JSONResponse:
        """The contract also where FastAPI's clients and tools look for it first; the
        versioned address is the one the docs name."""
        return JSONResponse(app.openapi())

    v1 = APIRouter(prefix=API_PREFIX, responses=problems.COMMON)
    for router in (registry_api.router, employers_api.router, ids.router, rules.router,
                   access_api.router, contributions_api.router, voluntary_api.router,
                   benefits_api.router, visits_api.router, book_api.router):
        mark_public(router.routes)  # before inclusion: an included route copies what it has
        v1.include_router(router)
    app.include_router(v1)
    app.include_router(portal.router)  # the citizen portal's pages, at /portal
    # A path no operation has is the declared 404, a trailing slash too: Starlette's 307 to the
    # path without it is a status the OpenAPI declares nowhere (the portal keeps its own).
    app.router.redirect_slashes = False
    if get_access_settings().dev_idp:  # the development e-identity provider; never in production
        app.mount("/dev-idp", create_dev_idp())
    _map_errors(app)
    # Added first, so it runs innermost: the route must see the HTTPException its body read
    # raises as it is (an "http" middleware's task group would wrap it in an exception group),
    # and a body that the outer cap cut stays the cap's 413.
    app.add_middleware(MultipartEnd)

    @app.middleware("http")
    async def no_framing(request: Request, call_next: Any) -> Response:
        # The portal shows a citizen's book: no other site may frame it (clickjacking).
        response: Response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if "authorization" in request.headers or "cookie" in request.headers:
            # An answer to a signed-in caller may hold personal data: no browser or shared
            # cache keeps it (the public trust list and revocation lists stay cacheable).
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(BodyLimit, limit=get_settings().max_upload_bytes, page=portal.too_large)
    # A run again after a deadlock goes through every other layer anew.
    app.add_middleware(RetryAborted)
    app.add_middleware(HeadAsGet)  # a HEAD goes through every layer as its GET
    app.add_middleware(QueryText)  # outermost: no layer reads a query that is not text
    return app


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette's 405 names the methods of the first route of the path only; FastAPI
            # makes one route per method, so Allow would list one of several (RFC 9110 §15.5.6).
            methods = {method for context in iter_route_contexts(app.routes)
                       if context.matches(request.scope)[0] is not Match.NONE
                       for method in context.methods or ()}
            allowed = sorted(methods | ({"HEAD"} if "GET" in methods else set()))  # HeadAsGet
            exc = StarletteHTTPException(405, exc.detail, {**(exc.headers or {}),
                                                          "Allow": ", ".join(allowed)})
        if exc.status_code in (404, 405) and portal_web.is_portal(request.url.path):
            # No page has this address (or not for this method): the portal's refusal page,
            # not the API's JSON, in the citizen's browser.
            return portal_web.no_such_page(request, exc)
        if exc.status_code == 404 and request.url.path.startswith(API_PREFIX + "/"):
            # No route has this path: the API's declared 404 shape, as for an ID not found,
            # so a client reads one shape whatever it mistyped.
            return JSONResponse(status_code=404, content={"errors": [{
                "field": "path", "reason": f"no operation of the API has the path "
                                           f"{request.url.path}; see {API_PREFIX}/openapi.json"}]})
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if (media != "application/json" and not media.endswith("+json") and len(errors) == 1
                and tuple(errors[0].get("loc", ())) == ("body",)
                and errors[0].get("type") == "model_attributes_type"):
            # A JSON body sent as a form or text: FastAPI hands the route the raw text, which
            # no schema can read. The declared 400 with what to do, not a 422 about a "dict".
            return JSONResponse(status_code=400, content={
                "detail": f"the body must be JSON sent as Content-Type: application/json "
                          f"(got {media or 'no content type'})"})
        if errors and all(e.get("type") == "json_invalid" for e in errors):
            # Not JSON at all: the 400 the contract declares (FastAPI's 422 is for a body
            # that parsed but does not fit the schema), as a body that is not UTF-8 gets.
            where = errors[0].get("loc", ())[-1:]
            cause = (errors[0].get("ctx") or {}).get("error", "")
            return JSONResponse(status_code=400, content={
                "detail": f"the body is not JSON: {cause or 'decode error'}"
                          + (f" at character {where[0]}" if where else "")})
        # FastAPI's own answer, but one that can always be written: the echoed input may hold
        # NaN or infinity (Python's JSON reader takes them), which JSON cannot carry.
        detail = _json_safe(jsonable_encoder(exc.errors()))
        return JSONResponse(status_code=422,
                            content={"detail": detail, "errors": problems.named_problems(detail)})

    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"errors": [p.as_dict() for p in exc.problems]}
        )

    @app.exception_handler(NotFoundError)
    async def missing(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"errors": [_named(exc)]})

    @app.exception_handler(PopulationServiceDown)
    async def unavailable(_: Request, exc: PopulationServiceDown) -> JSONResponse:
        # Nothing was registered; the client may simply try again later. What the connection
        # said (an address, an errno) is the operator's, in the log; the portal does the same.
        _log.error("the population database cannot be asked: %s", exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "60"}, content={
            "errors": [{"field": "population", "reason": (
                "the National Population Database cannot be reached; nothing was registered, "
                "try again later")}]})

    @app.exception_handler(OperationalError)
    async def busy(_: Request, exc: OperationalError) -> JSONResponse:
        # A lock held past SIBOOK_LOCK_WAIT_SECONDS (a large filing), or a store that cannot be
        # reached: the transaction rolled back, the request may simply be sent again.
        _log.warning("database unavailable: %s", str(exc.orig).strip() or exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "30"}, content={
            "errors": [{"field": "database", "reason": "the database is busy or cannot be "
                        "reached; nothing was changed, try again later"}]})

    @app.exception_handler(ConflictError)
    async def conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"errors": (
            [p.as_dict() for p in exc.problems] if isinstance(exc, RecordedOtherwise)
            else [_named(exc)])})

    @app.exception_handler(KeyUnusable)
    async def cannot_sign(_: Request, exc: KeyUnusable) -> JSONResponse:
        # The server's key, not the request: no 409 naming the server's key files to a caller.
        _log.error("the agency cannot sign: %s", exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "60"}, content={
            "errors": [{"field": "signing", "reason": "the agency cannot sign now; nothing was "
                        "signed, try again later"}]})

    @app.exception_handler(ServerFault)
    async def server_fault(_: Request, exc: ServerFault) -> JSONResponse:
        # The server's own files (a font): named in its log, never to the caller.
        _log.error("the server cannot answer: %s", exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "60"}, content={"errors": [{
            "reason": "the service cannot do this now; nothing was changed, try again later"}]})

    @app.exception_handler(Exception)
    async def fault(request: Request, _: Exception) -> Response:
        # Starlette's own answer to a defect, but a portal page's in the citizen's words;
        # Starlette raises the exception on after it, for the server's log.
        if portal_web.is_portal(request.url.path):
            return portal_web.unexpected(request)
        return PlainTextResponse("Internal Server Error", status_code=500)

    answer_by_route(app)  # the portal's pages and the token endpoint: their own answers


def _named(exc: NamedError) -> dict[str, str]:
    """A 404's or 409's one problem: the field it is about, where one is, and why."""
    return {"reason": str(exc)} if exc.field is None else {"field": exc.field,
                                                           "reason": str(exc)}


def _json_safe(value: Any) -> Any:
    """``value`` with every non-finite float written as text, and every lone surrogate of a
    string (a JSON escape can name one; UTF-8 cannot carry it) as U+FFFD."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value
