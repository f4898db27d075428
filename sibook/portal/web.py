"""The portal's plumbing: templates, the page guard, and refusals shown as pages.

Pages go through the API's own policy: ``require_page`` is ``require`` (same actions, same
checks, same access log) with the citizen token read from the portal cookie that the OIDC
callback sets, instead of from an Authorization header that a browser link cannot send.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import quote, quote_from_bytes, urlsplit

from fastapi import Cookie, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException  # FastAPI's and the policy's refusals alike
from starlette.routing import Match

from sibook.access import tokens
from sibook.access.api import (
    OTHER_CITIZEN,
    OTHER_REALM_OFFICER,
    OTHER_REALM_PURPOSE,
    OTHER_REALM_UNIT,
)
from sibook.access.deps import require
from sibook.access.oidc_client import (
    PORTAL,
    SESSION_COOKIE,
    renewed_session,
    set_session_cookie,
)
from sibook.access.policy import (
    NEEDS_LEVEL_2,
    NOT_VISIBLE,
    OPERATOR_PURPOSE,
    RULES,
    Action,
    Guard,
)
from sibook.access.principals import Principal, Unauthenticated
from sibook.access.settings import get_access_settings
from sibook.api.deps import Answer, AnsweringRoute, SessionDep
from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, NotFoundError, ServerFault, ValidationError
from sibook.core.vietnam_time import vietnam_time
from sibook.ids.countries import country
from sibook.registry.registration import PopulationServiceDown
from sibook.signing.keys import KeyUnusable

_log = logging.getLogger(__name__)
CANNOT_SIGN = ("Hệ thống tạm thời không ký được sổ, vui lòng thử lại sau. / The agency cannot "
               "sign books right now; please try again later.")
CANNOT_NOW = ("Hệ thống tạm thời không thực hiện được, vui lòng thử lại sau. / The service "
              "cannot do this now; nothing was changed, please try again later.")
POPULATION_DOWN = ("Chưa kết nối được Cơ sở dữ liệu quốc gia về dân cư; chưa có gì được đăng "
                   "ký, vui lòng thử lại sau. / The National Population Database cannot be "
                   "reached right now; nothing was registered, please try again later.")
BUSY = ("Hệ thống đang bận, vui lòng thử lại sau. / The database is busy or cannot be reached; "
        "nothing was changed, please try again later.")
BAD_ADDRESS = "Địa chỉ trang không đúng. / The page's address is not valid."
NO_SUCH_PAGE = "Không có trang này. / There is no such page."
NOT_THAT_WAY = "Trang này không mở được theo cách đó. / This page cannot be opened that way."
FROM_ELSEWHERE = "a form posted from another site is refused"
SIGN_OUT_ELSEWHERE = "sign-out from another site is refused"
REVOKED_NOW = ("Phiên bản này của sổ đang bị cơ quan BHXH tạm thu hồi, nên không cấp bản PDF có "
               "ký số. Liên hệ cơ quan BHXH quản lý sổ của bạn. / This version of your book is "
               "revoked by the agency for now, so no signed PDF of it is handed out. Ask the SI "
               "office that manages your book.")
ALREADY_JOINED = ("Bạn đã có sổ BHXH nên không cần đăng ký tham gia lại. / You are registered "
                  "already.")
PENSIONER_JOINS = ("Người đang hưởng lương hưu không tham gia BHXH tự nguyện (Luật Bảo hiểm xã "
                   "hội số 41/2024/QH15, Điều 2 khoản 4 điểm a). / Someone receiving a pension "
                   "does not join voluntary SI.")
# A refusal's reason as the refusal page says it. The policy's and the portal's own English
# reasons (constants, not sentences built from data) have their Vietnamese here; the portal's
# own notices say it in Vietnamese first already. Any other reason (an error's English
# message) is shown after the page's Vietnamese, marked as English detail.
REASON_VI = {
    FROM_ELSEWHERE: "biểu mẫu được gửi từ trang web khác nên bị từ chối.",
    SIGN_OUT_ELSEWHERE: "yêu cầu đăng xuất được gửi từ trang web khác nên bị từ chối.",
    NEEDS_LEVEL_2: "cần đăng nhập bằng định danh điện tử mức 2 (VNeID mức 2).",
    NOT_VISIBLE: "không có người có số định danh này trong phạm vi bạn được xem.",
    **{own: own for own in (CANNOT_SIGN, CANNOT_NOW, POPULATION_DOWN, BUSY, BAD_ADDRESS,
                            NO_SUCH_PAGE, NOT_THAT_WAY, ALREADY_JOINED, PENSIONER_JOINS,
                            REVOKED_NOW)},
}
# The pages run no script and load nothing: their one stylesheet is inline, their images (QR,
# HI card) data: URLs, and their forms post to the portal itself. Anything else an injected
# tag might try is refused by the browser, and no other site may frame them.
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
CHECK_PAGE = f"{PORTAL}/verify"  # the public check: it logs no read of anyone's data
SEX = {"male": "Nam / Male", "female": "Nữ / Female"}
templates = Jinja2Templates(env=Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True))


def vnd(amount: int | None) -> str:
    """5000000 -> '5.000.000 ₫' (Vietnamese groups thousands with dots); the space is a
    no-break one, so a narrow column never puts the ₫ on a line of its own."""
    return "—" if amount is None else f"{amount:,}\u00a0₫".replace(",", ".")


def percent(rate: float) -> str:
    """43.0 -> '43%', 43.5 -> '43,5%': Vietnamese writes a decimal comma (its dots group
    thousands, as in the amounts beside it), and a whole rate without decimals."""
    return f"{rate:g}".replace(".", ",") + "%"


def day(text: str) -> str:
    """A date as the book holds it, '2001-07-26', as Vietnamese write it and as the signed PDF
    and the HI card print it: '26/07/2001'."""
    year, month, dom = text.split("-")
    return f"{dom}/{month}/{year}"


def month(text: str) -> str:
    """A month as the book holds it, '2026-07', as the signed PDF prints it: '07/2026'."""
    year, number = text.split("-")
    return f"{number}/{year}"


def stay(at: str) -> str:
    """A visit's local time as the API answers it, '2026-03-02T08:30', as Vietnamese write it:
    '02/03/2026 08:30'."""
    date_part, _, clock = at.partition("T")
    return f"{day(date_part)} {clock}"


def counted(n: int, unit: str) -> str:
    """A count in English with its unit, one or more: '1 month', '13 months'; the space is a
    no-break one, as ``vnd``'s, so a phone never puts the unit on a line of its own."""
    return f"{n}\u00a0{unit}" if n == 1 else f"{n}\u00a0{unit}s"


def average_rule_vi(rule: dict[str, Any]) -> str:
    """The estimate's ``average_rule`` in the words of Law 41/2024 Art 72 (pay set by the
    state's salary regime, or by the employer)."""
    state = "tiền lương theo chế độ tiền lương do Nhà nước quy định"
    span = (f"{rule['window_years']} năm cuối" if rule["window_years"] else
            "toàn bộ thời gian") + f" (bắt đầu đóng năm {rule['si_started']})"
    if rule["rule"] == "whole_period":
        return "Bình quân tiền lương của toàn bộ thời gian đóng"
    if rule["rule"] == "state_scale_window":
        return f"Bình quân {state} của {span}"
    return (f"Bình quân chung các thời gian: mỗi tháng hưởng {state} tính bằng bình quân "
            f"{span}, các tháng khác theo tiền lương đã đóng")


# The access log in the citizen's words, Vietnamese and English as the rest of the page: what
# was done (the action's code stays beside it, as the API and the auditors name it), how it
# ended, and who did it.
ACTION_VI = {
    "public": "Thông tin công khai / public information",
    "person.list": "Tra cứu danh sách người tham gia / searched the list of participants",
    "person.read": "Xem hồ sơ người tham gia / viewed the participant's record",
    "person.register": "Đăng ký người tham gia / registered the participant",
    "worker.register": "Đăng ký người lao động (TK1-TS) / registered a worker (TK1-TS)",
    "household.add": "Đăng ký hộ gia đình / registered a household",
    "employer.list": "Xem danh sách đơn vị / viewed the list of units",
    "employer.register": "Đăng ký đơn vị / registered a unit",
    "employer.change": "Thay đổi chế độ tiền lương hoặc phương thức đóng của đơn vị / changed "
                       "a unit's salary regime or payment method",
    "me.read": "Xem hồ sơ của mình / viewed your own record",
    "me.access_log": "Xem ai đã xem dữ liệu / viewed who accessed the data",
    "book.read": "Xem sổ BHXH / viewed the SI book",
    "book.issue": "Cấp hoặc thu hồi sổ BHXH / issued or revoked the SI book",
    "contribution.read": "Xem quá trình đóng / viewed the contribution history",
    "contribution.declare": "Kê khai đóng BHXH / declared SI contributions",
    "employer.pay": "Ghi nhận đơn vị nộp tiền / recorded a unit's payment",
    "voluntary.read": "Xem đóng BHXH tự nguyện / viewed voluntary SI payments",
    "voluntary.pay": "Ghi nhận đóng BHXH tự nguyện / recorded a voluntary SI payment",
    "voluntary.join": "Tham gia BHXH tự nguyện / joined voluntary SI",
    "benefit.read": "Xem chế độ đã hưởng / viewed the benefits",
    "benefit.claim": "Tiếp nhận hồ sơ hưởng chế độ / received a benefit claim",
    "benefit.decide": "Giải quyết hồ sơ hưởng chế độ / decided a benefit claim",
    "hi.check": "Kiểm tra thẻ BHYT tại cơ sở KCB / checked the HI card at a health facility",
    "visit.file": "Gửi dữ liệu khám chữa bệnh BHYT / filed an HI visit",
    "visit.read": "Xem lịch sử khám chữa bệnh / viewed the HI visits",
    "visit.annul": "Hủy lượt khám ghi sai / annulled a visit filed in error",
    "audit.read": "Kiểm tra nhật ký truy cập / audited the access log",
}
OUTCOME_VI = {"allowed": "được phép / allowed", "refused": "bị từ chối / refused",
              "forbidden": "bị từ chối / forbidden",
              "not_found": "không tìm thấy / not found",
              "unauthenticated": "chưa đăng nhập / not signed in"}
ACTOR_KIND_VI = {"citizen": "công dân / citizen", "officer": "cán bộ BHXH / SI officer",
                 "employer": "đơn vị / employer", "hospital": "cơ sở KCB / health facility",
                 "anonymous": "không đăng nhập / anonymous",
                 # a ``sibook`` command at the agency's console (sibook.cli.context.OPERATOR)
                 "operator": "cán bộ vận hành hệ thống / system operator"}
# Who acted, where the log shows no one by name (the API's English, sibook.access.api): another
# citizen who tried this personal ID, an officer or a unit of another realm.
ACTOR_VI = {OTHER_CITIZEN: "Một công dân khác / another citizen",
            OTHER_REALM_OFFICER: "Cán bộ thuộc ngành khác / an officer of another realm",
            OTHER_REALM_UNIT: "Đơn vị thuộc ngành khác / a unit of another realm"}
# A purpose the caller did not state is the action's default, in English (the log's own);
# the page says so in both languages. A stated one (an officer's case number) reads as typed.
OPERATOR_PURPOSE_SAID = ("Lệnh của cán bộ vận hành hệ thống (không nêu mục đích) / a system "
                         "operator's command (no purpose stated)")
DEFAULT_PURPOSE_SAID = ("Không nêu (mục đích mặc định của việc này) / not stated (the "
                        "action's default purpose)")
OTHER_REALM_PURPOSE_SAID = ("Do ngành khác quản lý, không hiển thị / kept by the other realm, "
                            "not shown")


def purpose_said(purpose: str, action: str) -> Markup:
    if purpose == OPERATOR_PURPOSE:
        return bilingual(OPERATOR_PURPOSE_SAID)
    if purpose == OTHER_REALM_PURPOSE:
        return bilingual(OTHER_REALM_PURPOSE_SAID)
    with suppress(ValueError):  # an action no longer known: its purpose as logged
        if purpose == RULES[Action(action)].purpose:
            return bilingual(DEFAULT_PURPOSE_SAID)
    return escape(purpose)  # as typed, even with a " / " in it


VIETNAMESE_LETTER = re.compile("[À-ỹĐđ]")


def bilingual(text: str) -> Markup:
    """A message as the portal words its own, "Vietnamese / English", with its English marked
    as English, as the pages' other English is (a screen reader switches voice for it); a
    message in English alone (the rules' words where the portal has none) is marked whole."""
    vietnamese, slash, english = text.partition(" / ")
    if not slash:
        return (escape(text) if VIETNAMESE_LETTER.search(text) else
                Markup('<span class="en" lang="en">{}</span>').format(text))
    return Markup('{} <span class="en" lang="en">/ {}</span>').format(vietnamese, english)


def said(words: dict[str, str]) -> Callable[[str], Markup]:
    """A filter: a code in the words the table has for it ("Vietnamese / English", marked by
    ``bilingual``), else the code itself."""
    return lambda code: bilingual(words.get(code, code))


def nationality(code: str) -> Markup:
    """A nationality recorded as its ISO code, by name: Vietnamese as the book prints it, ISO's
    English beside it where it differs ("Việt Nam / Viet Nam"); a value that is no code as it
    is (a record must never fail to show over it)."""
    found = country(code)
    if found is None or found.name == found.name_vi:
        return escape(found.name if found else code)
    return bilingual(f"{found.name_vi} / {found.name}")


HTTP_ROUTE = re.compile(r"([A-Z]+) (/\S*)")


def route(said: str) -> Markup:
    """An access-log entry's route, broken only before a "/" of its path: a narrow column
    broke "GET /portal/access-log" at its hyphen, "access-" above "log". A route of another
    form (an operator's command, "cli: sibook book export") as logged."""
    found = HTTP_ROUTE.fullmatch(said)
    if found is None:
        return escape(said)
    method, path = found.groups()
    parts = (Markup('<span class="ref">{}</span>').format(p) for p in re.split("(?=/)", path) if p)
    return Markup("{} ").format(method) + Markup("<wbr>").join(parts)


# A visit's kind (sibook.visits.domain.VISIT_TYPES, Decision 130/QĐ-BYT's words) in English
# beside it: the portal's own rendering of those words, not an official translation.
VISIT_TYPE_EN = {
    "01": "examination", "02": "outpatient treatment", "03": "inpatient treatment",
    "04": "day inpatient treatment",
    "05": "outpatient treatment of a long-term chronic disease all year, with examination and "
          "medicine",
    "06": "treatment at a commune health station or regional polyclinic",
    "07": "medicine collected by appointment (no examination)",
    "08": "outpatient treatment of a long-term chronic disease all year, with examination, "
          "technical services and/or medicine",
    "09": "inpatient treatment under 4 hours", "10": "other cases",
}


def visit_type(visit: dict[str, Any]) -> Markup:
    """A visit's kind in Vietnamese, its English after it where the portal has it."""
    english = VISIT_TYPE_EN.get(visit["visit_type"])
    name = visit["visit_type_name"]
    return bilingual(f"{name} / {english}" if english else name)


BENEFIT_STATUS = {"claimed": "đang giải quyết / being decided",
                  "settled": "đã giải quyết / settled", "refused": "không giải quyết / refused"}
templates.env.filters.update(vnd=vnd, bilingual=bilingual, percent=percent, day=day, month=month,
                             vietnam_time=vietnam_time,
                             stay=stay, counted=counted, sex=said(SEX),
                             average_rule=average_rule_vi,
                             nationality=nationality,
                             benefit_status=said(BENEFIT_STATUS), visit_type=visit_type,
                             action=lambda a: bilingual(ACTION_VI[a]) if a in ACTION_VI else "",
                             purpose=purpose_said, route=route,
                             outcome=said(OUTCOME_VI),
                             actor=lambda a: ACTOR_VI.get(a, a),
                             actor_kind=said(ACTOR_KIND_VI))


def _cookie_bearer(token: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
                   ) -> HTTPAuthorizationCredentials | None:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None


class require_page(require):  # noqa: N801 - reads as a verb, like require
    """``require`` for a page: the same policy and log; the token comes from the cookie. A
    session it allows is renewed when due (``renewed_session``); ``PageRoute`` sets the new
    cookie on the page's answer unless that answer is a refusal."""

    def __call__(self, request: Request, session: SessionDep,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_cookie_bearer)],
                 ) -> Guard:
        guard = super().__call__(request, session, creds)  # refused: raised, nothing renewed
        if creds is not None:
            request.state.renewed_session = renewed_session(creds.credentials,
                                                            get_access_settings())
        return guard


def own_id(guard: Guard) -> str:
    """The signed-in citizen's personal ID: pages never take one from the URL."""
    return guard.own_personal_id()


def from_this_site(request: Request) -> bool:
    """A form posted from this host's own page (CSRF): browsers name the posting page's origin,
    and the session cookie is SameSite=Lax too. The portal's public address (SIBOOK_PUBLIC_URL)
    is its own too: a reverse proxy may name this server by another Host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = get_settings().public_url
    return urlsplit(origin).netloc == request.headers.get("host") or (
        public is not None and _origin(origin) == _origin(public))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def session_principal(request: Request) -> Principal | None:
    """Who holds the visitor's portal session: a token of ours, unexpired, in the portal's
    cookie. A kept copy of a signed-out one counts too (that needs the store): its menu's every
    link leads to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return tokens.principal_from_own(
            tokens.verify_own(token, get_access_settings().access_token_audience))
    except Unauthenticated:
        return None


def signed_in(request: Request) -> bool:
    """Whether the visitor holds a portal session (``session_principal``)."""
    return session_principal(request) is not None


def refused(request: Request, status: int, reason: str, *, no_page: bool = False) -> Response:
    """The refusal page: why, in the citizen's words, under the menu of a signed-in visitor's
    pages, or none for anyone else. Only the policy's refusal of a level-1 sign-in says to sign
    in at level 2; any other 403 (a form from another site) says what it is, not that.
    ``no_page``: the address has no page at all, which is said as that, not as data withheld."""
    page = templates.TemplateResponse(request, "refused.html", {
        "status": status, "reason": reason, "reason_vi": REASON_VI.get(reason),
        "needs_level_2": reason == NEEDS_LEVEL_2, "not_logged": request.url.path == CHECK_PAGE,
        "no_page": no_page, "signed_in": signed_in(request)}, status_code=status)
    page.headers["Cache-Control"] = "no-store"
    return page


async def _refusal(request: Request, exc: HTTPException) -> Response | None:
    if exc.status_code == 405:
        # The router's, for a page's address asked with another method (a GET of a form's
        # action): the app's handler, whose Allow names every method, says it as
        # ``no_such_page`` does, not as "Details: Method Not Allowed" in English.
        return None
    if exc.status_code == 401:  # no or expired sign-in: back to the sign-in page
        response: Response = RedirectResponse(f"{PORTAL}/?expired=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PORTAL)
        return response
    response = refused(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():  # e.g. Retry-After
        response.headers.setdefault(name, value)
    return response


async def _not_found(request: Request, exc: NotFoundError) -> Response:
    return refused(request, 404, str(exc))


async def _conflict(request: Request, exc: ConflictError) -> Response:
    return refused(request, 409, str(exc))


async def _invalid(request: Request, exc: ValidationError) -> Response:
    return refused(request, 422, "; ".join(str(p) for p in exc.problems))


async def _cannot_sign(request: Request, exc: KeyUnusable) -> Response:
    _log.error("the agency cannot sign: %s", exc)  # the server's key files: in the log only
    page = refused(request, 503, CANNOT_SIGN)
    page.headers["Retry-After"] = "60"
    return page


async def _unreadable(request: Request, exc: RequestValidationError) -> Response:
    # A link edited by hand (/portal/?expired=maybe): the page's own words, not the API's JSON
    # listing the parameters' types.
    return refused(request, 400, BAD_ADDRESS)


async def _server_fault(request: Request, exc: ServerFault) -> Response:
    _log.error("the server cannot answer: %s", exc)  # its own files: in the log only
    return refused(request, 503, CANNOT_NOW)


def population_down(request: Request, exc: PopulationServiceDown) -> Response:
    """The population service failed: plain words for the citizen; what the HTTP client said
    (an address, a connection error) in the log only."""
    _log.error("the population database cannot be asked: %s", exc)
    page = refused(request, 503, POPULATION_DOWN)
    page.headers["Retry-After"] = "60"
    return page


def unexpected(request: Request) -> Response:
    """A portal page that failed on a fault nothing else answers (a defect), after its unit of
    work rolled back: the portal's page in its words, not Starlette's "Internal Server Error";
    the traceback is the server log's (the exception is raised on after this answer)."""
    return page_headers(refused(request, 500, CANNOT_NOW))


async def _population_down(request: Request, exc: PopulationServiceDown) -> Response:
    return population_down(request, exc)


async def _busy(request: Request, exc: OperationalError) -> Response:
    _log.warning("database unavailable: %s", str(exc.orig).strip() or exc)
    page = refused(request, 503, BUSY)
    page.headers["Retry-After"] = "30"
    return page


def is_portal(path: str) -> bool:
    return path == PORTAL or path.startswith(PORTAL + "/")


def no_such_page(request: Request, exc: HTTPException) -> Response:
    """An address of the portal that no page has (or not for that method): a refusal page, or
    the page itself when only its trailing slash was too many."""
    if exc.status_code == 404 and (page_path := _without_its_slash(request)):
        query = _query_as_sent(request.scope.get("query_string", b""))
        return page_headers(RedirectResponse(page_path + ("?" + query if query else ""),
                                              status_code=308))
    page = refused(request, exc.status_code, NO_SUCH_PAGE if exc.status_code == 404 else
                   NOT_THAT_WAY, no_page=exc.status_code == 404)
    for name, value in (exc.headers or {}).items():  # Allow, for a 405
        page.headers.setdefault(name, value)
    return page_headers(page)


# What a query's bytes keep as they are in the Location: its separators and its escapes (a
# browser's query is escaped already); anything else, a client's raw UTF-8 ("Nguyễn") or a
# "#" that would end it, is percent-encoded byte by byte.
QUERY_KEPT = "/?:@!$&'()*+,;=%"


def _query_as_sent(raw: bytes) -> str:
    """A request's query as the Location of its 308 carries it: the same bytes, escaped; read as
    Latin-1, a raw "ễ" came out as "á»\x85", escaped again as UTF-8 ("%C3%A1%C2%BB...")."""
    return quote_from_bytes(raw, safe=QUERY_KEPT)


def _without_its_slash(request: Request) -> str | None:
    """The path of the portal's page that a GET of it with trailing slashes meant, if there is
    one (``/portal/book/`` for ``/portal/book``): the app answers no path of the API so
    (``redirect_slashes`` off), but a citizen types, bookmarks and is sent such links. Only a
    path of this server's portal, never a whole URL, so no link can lead off-site through it."""
    path = request.url.path.rstrip("/")
    if request.method != "GET" or path == request.url.path or not is_portal(path):
        return None
    scope = {**request.scope, "path": path}
    if not any(route.matches(scope)[0] is Match.FULL for route in request.app.routes):
        return None
    return quote(path)


def page_headers(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")  # personal data
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


def _as_page(answer: Callable[[Request, Any], Awaitable[Response | None]]) -> Answer:
    async def page(request: Request, exc: Any) -> Response | None:
        response = await answer(request, exc)  # None: the app's handler answers
        return None if response is None else page_headers(response)

    return page


class PageRoute(AnsweringRoute):
    """Refusals become pages: no or expired sign-in goes back to the sign-in page; a refusal
    (level 1, not visible) is explained politely with the policy's own status, and so is what
    the API answers with its JSON errors (a conflict, a key that cannot sign, a busy database).
    Answered after the page's unit of work rolled back: a page completes or changes nothing,
    and the refusal's access-log entry, committed by ``Guard.refuse``, stays."""

    answers: ClassVar[dict[type[Exception], Answer]] = {
        cls: _as_page(answer) for cls, answer in (
            (HTTPException, _refusal), (NotFoundError, _not_found), (ConflictError, _conflict),
            (ValidationError, _invalid), (KeyUnusable, _cannot_sign),
            (PopulationServiceDown, _population_down), (OperationalError, _busy),
            (ServerFault, _server_fault), (RequestValidationError, _unreadable))}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            # No try here: an exception answered inside the route's dependencies would be
            # committed by its unit of work (see AnsweringRoute).
            response = await handler(request)
            # A refusal the page answers itself (a form from another site) renews nothing;
            # an exception's refusal never gets here.
            renewal: tuple[str, int] | None = getattr(request.state, "renewed_session", None)
            if renewal is not None and response.status_code < 400:
                token, ttl = renewal
                set_session_cookie(response, token, ttl, get_access_settings())
            return page_headers(response)

        return page
