"""The citizen portal's pages: sign in, my book, who accessed my data.

Pages read through the same guard as the API (``require_page``), so the policy decides and the
access log records the page's own route. The signed-in citizen is the only person a page can
name. The book page is one request, with its QR and HI card inline: one logged read per view,
and one book version behind everything the page shows.
"""

from __future__ import annotations

import base64
from contextlib import suppress
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sibook.access import api as access_api
from sibook.access import revocation, tokens
from sibook.access.oidc_client import PORTAL, SESSION_COOKIE
from sibook.access.policy import Action, Guard
from sibook.access.principals import Unauthenticated
from sibook.access.settings import get_access_settings
from sibook.api.deps import SessionDep
from sibook.book import api as book_api
from sibook.book import issuing, versions
from sibook.book import service as books
from sibook.book.card_image import no_card_png
from sibook.core.errors import NotFoundError
from sibook.portal.web import PageRoute, own_id, require_page, templates
from sibook.signing.qr import qr_png

router = APIRouter(prefix=PORTAL, tags=["portal"], route_class=PageRoute,
                   include_in_schema=False)
BookGuard = Annotated[Guard, Depends(require_page(Action.BOOK_READ))]
LogGuard = Annotated[Guard, Depends(require_page(Action.ME_ACCESS_LOG))]
SIGN_IN = f"/api/v1/auth/login?next={PORTAL}/book"


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _current_book(g: Guard) -> versions.Version:
    person_id = g.person(own_id(g))  # the citizen's own record; logged
    version, _ = books.current_version(session=g.session, person_id=person_id,
                                       as_of=date.today())
    g.session.commit()  # recorded before anything is signed with its number
    return version


@router.get("/")
def sign_in(request: Request, expired: bool = False) -> Response:
    return templates.TemplateResponse(request, "sign_in.html",
                                      {"sign_in": SIGN_IN, "expired": expired})


@router.get("/book")
def my_book(request: Request, g: BookGuard) -> Response:
    v = _current_book(g)
    agency = issuing.agency()
    qr = issuing.issue_qr(v, agency.signer(v.payload["header"]["realm"]))
    try:
        _, card = issuing.hi_card(v, agency)
    except NotFoundError:  # no HI card on record: the card image says so
        card = no_card_png(v.payload["header"])
    return templates.TemplateResponse(request, "book.html", {
        "b": v.payload, "v": v, "qr": _png(qr_png(qr, scale=3)), "card": _png(card)})


@router.get("/book.pdf")
def my_book_pdf(g: BookGuard) -> Response:
    return book_api.book_pdf(own_id(g), g)


@router.get("/access-log")
def my_access_log(request: Request, g: LogGuard) -> Response:
    log = access_api.my_access_log(g, limit=200)
    return templates.TemplateResponse(request, "access_log.html", {"entries": log.entries})


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> Response:
    """Ends the session: the token behind it is refused from now on (a copy of the cookie
    no longer works) and the browser forgets it. A form posted from another site is refused:
    browsers name the page's origin, and only this host's own page may sign its citizen out
    (the session cookie is SameSite=Lax too)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        return Response("sign-out from another site is refused", status_code=403)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        s = get_access_settings()
        with suppress(Unauthenticated):  # expired or not ours: nothing to end
            revocation.revoke(session, tokens.verify_own(token, s.access_token_audience, s))
    response = RedirectResponse(f"{PORTAL}/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PORTAL)
    return response
