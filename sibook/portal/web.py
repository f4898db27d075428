"""The portal's plumbing: templates, the page guard, and refusals shown as pages.

Pages go through the API's own policy: ``require_page`` is ``require`` (same actions, same
checks, same access log) with the citizen token read from the portal cookie that the OIDC
callback sets, instead of from an Authorization header that a browser link cannot send.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Cookie, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException  # FastAPI's and the policy's refusals alike

from sibook.access.deps import require
from sibook.access.oidc_client import PORTAL, SESSION_COOKIE
from sibook.access.policy import Guard
from sibook.api.deps import SessionDep
from sibook.benefits.domain import NAMES, Regime
from sibook.core.errors import NotFoundError
from sibook.ids.countries import nationality_vi

# The pages run no script and load nothing: their one stylesheet is inline, their images (QR,
# HI card) data: URLs, and their forms post to the portal itself. Anything else an injected
# tag might try is refused by the browser, and no other site may frame them.
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SEX = {"male": "Nam / Male", "female": "Nữ / Female"}
templates = Jinja2Templates(env=Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True))


def vnd(amount: int | None) -> str:
    """5000000 -> '5.000.000 ₫' (Vietnamese groups thousands with dots)."""
    return "—" if amount is None else f"{amount:,} ₫".replace(",", ".")


def utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def stay(at: str) -> str:
    """A visit's local time as the API answers it, '2026-03-02T08:30', as Vietnamese write it:
    '02/03/2026 08:30'."""
    day, _, clock = at.partition("T")
    year, month, dom = day.split("-")
    return f"{dom}/{month}/{year} {clock}"


BENEFIT_STATUS = {"claimed": "đang giải quyết / being decided",
                  "settled": "đã giải quyết / settled", "refused": "không giải quyết / refused"}
templates.env.filters.update(vnd=vnd, utc=utc, stay=stay, sex=lambda s: SEX.get(s, s),
                             nationality=nationality_vi,
                             regime=lambda r: NAMES[Regime(r)],
                             benefit_status=lambda s: BENEFIT_STATUS.get(s, s))


def _cookie_bearer(token: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
                   ) -> HTTPAuthorizationCredentials | None:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None


class require_page(require):  # noqa: N801 - reads as a verb, like require
    """``require`` for a page: the same policy and log; the token comes from the cookie."""

    def __call__(self, request: Request, session: SessionDep,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_cookie_bearer)],
                 ) -> Guard:
        return super().__call__(request, session, creds)


def own_id(guard: Guard) -> str:
    """The signed-in citizen's personal ID: pages never take one from the URL."""
    return guard.own_personal_id()


def from_this_site(request: Request) -> bool:
    """A form posted from this host's own page (CSRF): browsers name the posting page's origin,
    and the session cookie is SameSite=Lax too."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def refused(request: Request, status: int, reason: str) -> Response:
    page = templates.TemplateResponse(request, "refused.html",
                                      {"status": status, "reason": reason}, status_code=status)
    page.headers["Cache-Control"] = "no-store"
    return page


class PageRoute(APIRoute):
    """Refusals become pages: no or expired sign-in goes back to the sign-in page; a refusal
    (level 1, not visible) is explained politely with the policy's own status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            response: Response
            try:
                response = await handler(request)
            except HTTPException as exc:
                if exc.status_code != 401:
                    response = refused(request, exc.status_code, str(exc.detail))
                else:
                    response = RedirectResponse(f"{PORTAL}/?expired=1", status_code=303)
                    response.delete_cookie(SESSION_COOKIE, path=PORTAL)
            except NotFoundError as exc:
                response = refused(request, 404, str(exc))
            response.headers.setdefault("Cache-Control", "no-store")  # personal data
            response.headers["Content-Security-Policy"] = PAGE_POLICY
            return response

        return page
