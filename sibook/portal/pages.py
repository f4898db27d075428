"""The citizen portal's pages: sign in, my book (with a benefit estimate), my HI visits, who
accessed my data, and joining voluntary SI for a citizen who has no book yet.

Pages read through the same guard as the API (``require_page``), so the policy decides and the
access log records the page's own route. The signed-in citizen is the only person a page can
name. The book page is one request, with its QR and HI card inline: one logged read per view,
and one book version behind everything the page shows. Opening a page writes nothing but its
logged read (a link or a prefetch from any site can open it): a new book version is recorded
by the acts that sign it, forms posted from the portal's own pages (issue, download the PDF).
"""

from __future__ import annotations

import base64
import io
import re
from contextlib import suppress
from datetime import date
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from sibook import law
from sibook.access import api as access_api
from sibook.access import revocation, scope, tokens
from sibook.access.oidc_client import PORTAL, SESSION_COOKIE
from sibook.access.policy import LEVEL_2, Action, Guard
from sibook.access.principals import Citizen, Unauthenticated
from sibook.access.settings import get_access_settings
from sibook.api.deps import SessionDep
from sibook.benefits import records
from sibook.book import api as book_api
from sibook.book import issuing, versions
from sibook.book import service as books
from sibook.book.assemble import unit_names
from sibook.book.card_image import no_card_png
from sibook.book.estimate import awaits_leaving_work, estimate_with_shortfall
from sibook.contributions import queries
from sibook.contributions.domain import MAX_SALARY
from sibook.contributions.voluntary import VOLUNTARY_START_AHEAD
from sibook.core.errors import ConflictError, NotFoundError, RecordedOtherwise, ValidationError
from sibook.core.period import Period
from sibook.ids.provinces import provinces_2025
from sibook.portal.log_detail import benefit_event_said, detail_vi, regime_said, unit_codes
from sibook.portal.reasons import check_vi, shortfall_said
from sibook.portal.web import (
    ALREADY_JOINED,
    CHECK_PAGE,
    FROM_ELSEWHERE,
    PENSIONER_JOINS,
    REVOKED_NOW,
    SIGN_OUT_ELSEWHERE,
    PageRoute,
    from_this_site,
    month,
    own_id,
    page_headers,
    population_down,
    refused,
    require_page,
    session_principal,
    templates,
    vnd,
)
from sibook.registry import api as registry_api
from sibook.registry import reading as registry
from sibook.registry import registration
from sibook.registry.registration import PopulationServiceDown
from sibook.registry.schemas import JoinIn
from sibook.signing.qr import qr_png
from sibook.signing.verify import MAX_INPUT, NOT_A_BOOK_QR
from sibook.visits import api as visits_api

# web's filters can't import these: they use them
templates.env.filters.update(detail=detail_vi, regime=regime_said, benefit_event=benefit_event_said)
router = APIRouter(prefix=PORTAL, tags=["portal"], route_class=PageRoute,
                   include_in_schema=False)
BookGuard = Annotated[Guard, Depends(require_page(Action.BOOK_READ))]
LogGuard = Annotated[Guard, Depends(require_page(Action.ME_ACCESS_LOG))]
VisitGuard = Annotated[Guard, Depends(require_page(Action.VISIT_READ))]
JoinGuard = Annotated[Guard, Depends(require_page(Action.VOLUNTARY_JOIN))]
# The API's verify's own guard (Authorization header, which a browser never sends): the portal's
# session cookie is not read, so an expired one does not send a visitor to sign in first.
PublicGuard = book_api.PublicGuard
NOTHING_TO_CHECK = ("Chọn tệp PDF hoặc tệp văn bản mã QR, hoặc dán nội dung mã QR. / Choose a "
                    "PDF or a QR text file, or paste the QR text.")
BOTH_TO_CHECK = ("Chọn tệp hoặc dán nội dung mã QR, không cả hai: mỗi lần kiểm tra một thứ; hãy "
                 "xóa nội dung trong ô nếu muốn kiểm tra tệp. / Choose a file or paste the QR "
                 "text, not both: one is checked a request; clear the box to check the file.")
# The check form's fields, as its problems name them (FastAPI hands a route the last of two).
CHECK_FIELDS = {"file": "tệp", "text": "nội dung mã QR"}
# FACTS §3.4 (Decree 159/2025): the state pays a share of 22% of the rural poverty line, for at
# most 10 years; everyone in no named group is "other". The form offers no "no support": the
# system counts the months of support used (``support_months_left``) and stops it after 120.
SUPPORT_GROUPS = [
    ("other", "Người tham gia khác: hỗ trợ 20% / Everyone else: 20% support"),
    ("poor", "Hộ nghèo: hỗ trợ 50% / Poor household: 50%"),
    ("island", "Xã đảo, đặc khu: hỗ trợ 50% / Island commune or special zone: 50%"),
    ("near_poor", "Hộ cận nghèo: hỗ trợ 40% / Near-poor household: 40%"),
    ("ethnic_minority", "Người dân tộc thiểu số: hỗ trợ 30% / Ethnic minority: 30%"),
]
SIGN_IN = f"/api/v1/auth/login?next={PORTAL}/book"
VISITS_A_PAGE = 50
LOG_SHOWN = 200  # the access log's entries a page
FIELD_LABELS = {"income": "Mức thu nhập tháng / Monthly income",
                "support_group": "Đối tượng được hỗ trợ / State support",
                "from_month": "Tháng bắt đầu / First month",
                "province_code": "Tỉnh, thành phố nơi cư trú / Province you live in", "": ""}
# The join form's own wording for what the schema refuses, by (field, error type); "" for any.
FORM_ERRORS = {
    ("income", "less_than_equal"): "Mức thu nhập quá lớn. / The income is too large.",
    ("income", ""): "Nhập số đồng bằng chữ số, có thể nhóm ba chữ số một bằng dấu chấm hoặc "
                    "khoảng trắng, ví dụ 5.000.000 hoặc 5000000. / Enter a whole number of VND "
                    "in digits, in groups of three split by dots or spaces if you like, e.g. "
                    "5.000.000 or 5000000.",
    ("support_group", ""): "Chọn một đối tượng trong danh sách. / Choose one from the list.",
    ("from_month", ""): "Nhập tháng dạng TT/NNNN (tháng/năm), ví dụ 11/2026. "
                        "/ Enter the month as MM/YYYY (month/year), e.g. 11/2026.",
    ("province_code", ""): "Chọn tỉnh, thành phố nơi bạn cư trú. "
                           "/ Choose the province you live in.",
}

# The registry's refusal of a field the form's schema passed, in Vietnamese before its English.
REFUSED_VI = {"province_code": "Chọn tỉnh, thành phố nơi bạn cư trú: cơ quan BHXH ở đó quản lý "
                               "việc đóng BHXH tự nguyện của bạn."}


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@router.get("")
def without_its_slash() -> Response:
    """``/portal`` as typed: the sign-in page is at ``/portal/``."""
    return RedirectResponse(f"{PORTAL}/", status_code=307)


@router.get("/")
def sign_in(request: Request, expired: bool = False, failed: bool = False,
            timed_out: bool = False, signed_out: bool = False) -> Response:
    """The sign-in page; it says why when sent back here: the session expired, a sign-in did
    not complete, or one was left longer than the provider's 10 minutes; or that the citizen
    has just signed out. A citizen still signed in (a bookmark of this page) is led to their
    book, and may sign in afresh (at level 2, after a level-1 sign-in was refused)."""
    who = session_principal(request)
    return templates.TemplateResponse(request, "sign_in.html", {
        "sign_in": SIGN_IN, "expired": expired, "failed": failed, "timed_out": timed_out,
        "signed_out": signed_out, "signed_in": who is not None,
        "at_level_2": isinstance(who, Citizen) and who.level >= LEVEL_2})


@router.get("/book")
def my_book(request: Request, g: BookGuard) -> Response:
    """The book as it stands, recording nothing: its signed QR and HI card only when the
    latest recorded version holds exactly this content; otherwise a form to issue it."""
    if registry.registered_id(session=g.session, personal_id=own_id(g)) is None:
        return _join_form(request, g, {}, {})
    person_id = g.person(own_id(g))  # the citizen's own record; logged
    today = date.today()
    payload, v = books.recorded_version(session=g.session, person_id=person_id, as_of=today)
    qr, card, hi = _signed_images(v) if v is not None else (None, None, None)
    sums, shortfall = estimate_with_shortfall(payload, Period.of(today))
    return templates.TemplateResponse(request, "book.html", {
        "b": payload, "v": v, "qr": _png(qr_png(qr, scale=3)) if qr else None, "qr_text": qr,
        # The version the book changed since, if any: "not signed yet" would deny it exists.
        "signed_before": None if v else versions.latest(session=g.session, person_id=person_id),
        "revoked": v is not None and qr is None,
        "card": _png(card) if card else None, "hi": hi, "units": unit_names(payload),
        "late": None if payload.get("restricted") else _employer_late(g, person_id, today),
        "estimate": sums, "pension_why": shortfall_said(shortfall, payload),
        "leaving_work": awaits_leaving_work(payload, sums),
        "never_paid": _never_paid(payload)})


def _never_paid(book: dict[str, Any]) -> bool:
    """No SI paid ever (a child on a household's HI, a newcomer): no period in the book and no
    month in its totals (a ministry's book keeps its total, not its periods), so an estimate
    would only say "0 years" of a pension nobody has begun to earn."""
    t = book["totals"]
    return not (book.get("sheets") or t["si_months"] or t.get("si_months_paid_out"))


def _employer_late(g: Guard, person_id: int, today: date) -> list[dict[str, Any]]:
    """The months the employer paid late or has not paid past their deadline (FACTS §3.7:
    Decision 241/QD-BTC makes the employer's late history shareable), from the person's ledger
    as ``ledger show`` answers it; part of the page's one logged read, not of the signed book."""
    ledger = queries.person_ledger(session=g.session, person_id=person_id,
                                   personal_id=own_id(g), as_of=today)
    return [m for m in ledger["months"] if (m["employer_days_late"] or 0) > 0]


@router.post("/book")
def issue_my_book(request: Request, g: BookGuard) -> Response:
    """Sign the book as it stands: its version is recorded when the facts changed, then the
    page again, now with its signed QR, HI card and PDF."""
    if not from_this_site(request):
        return refused(request, 403, FROM_ELSEWHERE)
    person_id = g.person(own_id(g))  # logged
    v, _ = books.current_version(session=g.session, person_id=person_id, as_of=date.today())
    # What the page shows of it is signed first: a key that cannot sign (KeyUnusable) or a
    # card that cannot be drawn is the page route's 503, after the version recorded here was
    # rolled back. A version is recorded with what carries its number, or not at all.
    _signed_images(v)
    g.session.commit()
    # Back where the button was, now with what it issued: the top of a long page on a phone.
    return RedirectResponse(f"{PORTAL}/book#download", status_code=303)


def _signed_images(v: versions.Version) -> tuple[str | None, bytes, dict[str, Any] | None]:
    """The book's signed QR text (None while the version is revoked), its HI card image, and
    the card's facts the image shows with its QR text (None: no card on record), which its
    alternative text says too."""
    agency = issuing.agency()
    qr: str | None = None
    try:  # a revoked version is not handed out again (as the API's QR and PDF refuse it)
        issuing.refuse_revoked(v, agency)
    except ConflictError:
        pass
    else:  # a key that cannot sign is the server's failure, never shown as a revocation
        qr = issuing.issue_qr(v, agency.signer(v.payload["header"]["realm"]))
    try:
        hi, card = issuing.hi_card(v, agency)
    except NotFoundError:  # no HI card on record: the card image says so
        return qr, no_card_png(v.payload["header"]), None
    return qr, card, hi


def _join_form(request: Request, g: Guard, form: dict[str, str],
               problems: dict[str, list[str]], status: int = 200) -> Response:
    """The form; ``problems`` by field ("" for none), each shown beside its field."""
    return templates.TemplateResponse(request, "join.html", {
        "personal_id": own_id(g), "groups": SUPPORT_GROUPS, "provinces": provinces_2025(),
        "form": form, "problems": problems,
        "labels": FIELD_LABELS, "this_month": month(str(Period.of(date.today())))},
        status_code=status)


# The join form's month as the pages write one, "11/2026" (a month of one digit too, "3/2026"),
# or as the API takes it, "2026-11"; ASCII digits only.
MONTH_YEAR = re.compile(r"\s*([0-9]{1,2})\s*/\s*([0-9]{4})\s*")


def month_typed(text: str) -> str:
    """A month typed on the form, "MM/YYYY", as the API reads one, "YYYY-MM"; anything else as
    typed (the API's "YYYY-MM" too), for the schema to accept or refuse."""
    found = MONTH_YEAR.fullmatch(text)
    return f"{found[2]}-{int(found[1]):02d}" if found else text.strip()


# The join form's income as the pages write an amount, 5.000.000 (Vietnamese groups thousands
# with dots), grouped by spaces (a no-break one too) or not at all; ASCII digits only, and
# every group of three: "5.00.000" or "5,000,000" is no amount the pages write.
AMOUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+")


def amount_typed(text: str) -> int | str:
    """An amount typed on the form as a number; anything else as typed, for the schema to
    refuse."""
    if AMOUNT.fullmatch(text.strip()) is None:
        return text
    digits = re.sub("[^0-9]", "", text)
    # int() refuses 4,300 digits and more (a 500): a number that long is too large.
    return int(digits) if len(digits) <= 20 else MAX_SALARY + 1


def _form_problems(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    """The schema's refusals in the citizen's words: what to type, never a pattern or a type
    name ("String should match pattern '^(19|20)...'" tells a citizen nothing)."""
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else ""
        say = FORM_ERRORS.get((name, e["type"])) or FORM_ERRORS.get((name, "")) or e["msg"]
        if say not in out.setdefault(name, []):
            out[name].append(say)
    return out


@router.post("/voluntary")
def join_voluntary(request: Request, g: JoinGuard, income: Annotated[str, Form()] = "",
                   support_group: Annotated[str, Form()] = "",
                   from_month: Annotated[str, Form()] = "",
                   province_code: Annotated[str, Form()] = "") -> Response:
    """The join form's answer: the API's own joining (``POST /api/v1/me/voluntary``), then the
    new book. A refusal shows the form again with the reasons and what was typed."""
    if not from_this_site(request):
        return refused(request, 403, FROM_ELSEWHERE)
    form = {"income": income, "support_group": support_group, "from_month": from_month,
            "province_code": province_code}
    try:
        body = JoinIn.model_validate({
            "income": amount_typed(income),
            "support_group": support_group or None,
            "from_month": month_typed(from_month) or None,
            "province_code": province_code or None})
    except pydantic.ValidationError as exc:
        # The service's own problem with the province too, not on the next try.
        lacking = None if province_code else registration.join_office_problem(
            session=g.session, personal_id=own_id(g), province=None)
        problems = _form_problems(exc)
        if lacking is not None:
            problems["province_code"] = [f"{REFUSED_VI['province_code']} / {lacking.reason}"]
        return _join_form(request, g, form, problems, status=422)
    if body.support_group is None:  # a form not of this site's making: its list has no blank
        return _join_form(request, g, form, {"support_group": [
            FORM_ERRORS[("support_group", "")]]}, status=422)
    try:
        registry_api.join_voluntary(g, body)
    except (ValidationError, ConflictError, PopulationServiceDown) as exc:
        # All or nothing, as at the API (where the exception rolls the unit of work back): the
        # page answers normally, so what joining stored before the refusal (the person, the
        # book) would otherwise be committed, and the citizen left with an empty book.
        g.session.rollback()
        return _join_refused(request, g, form, body, exc)
    g.session.commit()  # the book exists before the page that shows it is asked for
    return RedirectResponse(f"{PORTAL}/book", status_code=303)


def _out_of_range_vi(body: JoinIn, field: str) -> str | None:
    """The law's range the form's income or first month is outside of, in Vietnamese and
    with numbers as Vietnamese write them (the rules say it in English: "voluntary SI income
    must be between the rural poverty line 1,500,000 and ..."); None when it is within."""
    now = Period.of(date.today())
    first = Period.parse(body.from_month) if body.from_month else now
    last = now + VOLUNTARY_START_AHEAD
    if field == "from_month" and not now <= first <= last:
        return (f"Tháng bắt đầu phải từ tháng này, {month(str(now))}, đến chậm nhất "
                f"{month(str(last))}.")
    if field == "income" and now <= first <= last:
        floor = int(law.parameter("rural_poverty_line", first).value)
        cap = law.book().si_hi_cap(first)
        if cap.amount is not None and not floor <= body.income <= cap.amount:
            return (f"Mức thu nhập tháng {month(str(first))} phải từ {vnd(floor)} (chuẩn nghèo "
                    f"nông thôn) đến {vnd(cap.amount)} (20 lần mức tham chiếu {vnd(cap.base)}).")
    return None


def _join_refused(request: Request, g: Guard, form: dict[str, str], body: JoinIn,
                  exc: ValidationError | ConflictError | PopulationServiceDown) -> Response:
    if isinstance(exc, ValidationError):
        if any(p.field == "personal_id" for p in exc.problems) and (
                person := registry.registered_id(session=g.session,
                                                 personal_id=own_id(g))) is not None:
            # "the person already participates (...) since ...", or a pension is paid to them
            # (``registration._refuse_if_pensioner``): said on the refusal page, which leads
            # to their book, not on the form headed "you have no e-SI book yet".
            return refused(request, 422, PENSIONER_JOINS if records.settled_pension(
                session=g.session, person_id=person) else ALREADY_JOINED)
        problems: dict[str, list[str]] = {}
        for p in exc.problems:
            field = p.field if p.field in FIELD_LABELS else ""
            if p.field == "support_group":  # the law's refusal lists the API's codes
                reason = FORM_ERRORS[(p.field, "")]
            else:  # the range in Vietnamese first, where the form knows it
                reason = p.reason if field else str(p)
                vietnamese = _out_of_range_vi(body, p.field) or REFUSED_VI.get(p.field)
                if vietnamese:
                    reason = f"{vietnamese} / {reason}"
            problems.setdefault(field, []).append(reason)
        return _join_form(request, g, form, problems, status=422)
    if isinstance(exc, ConflictError):  # e.g. joined before on another income: they participate
        joined = exc.field == "personal_id" or isinstance(exc, RecordedOtherwise)
        return refused(request, 409, ALREADY_JOINED if joined else str(exc))
    return population_down(request, exc)


@router.post("/book.pdf")
def my_book_pdf(request: Request, g: BookGuard) -> Response:
    """The signed PDF of the book as it stands (the API's, which records its version when the
    facts changed): a form posted from the book page, as every act that writes."""
    if not from_this_site(request):
        return refused(request, 403, FROM_ELSEWHERE)
    try:
        return book_api.book_pdf(own_id(g), g)
    except ConflictError as exc:  # revoked since the page offered it (its refusal is logged)
        raise ConflictError(REVOKED_NOW, field=exc.field) from exc


@router.get("/access-log")
def my_access_log(request: Request, g: LogGuard, before: str = "") -> Response:
    """Who accessed my data (the API's ``GET /api/v1/me/access-log``), LOG_SHOWN a page,
    newest first; ``?before=`` the API's ``next_before``: the older ones (one that is not a
    number shows the newest)."""
    person = registry.registered_id(session=g.session, personal_id=own_id(g))
    if person is None:
        # No record yet (the join form's citizen): nothing of theirs to have been read; the
        # menu's link answers so, not a "no data you may see" refusal.
        return templates.TemplateResponse(request, "access_log.html", {"entries": []})
    older = int(before) if before.isascii() and before.isdecimal() and len(before) <= 18 else None
    log = access_api.my_access_log(g, limit=LOG_SHOWN, before=older or None)
    # The units the entries name, by name and code as the book names them (a ministry's
    # person's log has no detail: the API keeps it, as their book keeps their units).
    units = registry.unit_names(session=g.session, codes=unit_codes(
        e.detail for e in log.entries), realm=scope.realm_of(g.session, person) or "")
    return templates.TemplateResponse(request, "access_log.html", {
        "entries": log.entries, "next_before": log.next_before, "paged": bool(older),
        "units": units})


@router.get("/visits")
def my_visits(request: Request, g: VisitGuard, page: str = "1") -> Response:
    """The citizen's HI visits (the API's ``GET /api/v1/me/visits``), VISITS_A_PAGE a page
    (``?page=2``: the older ones; a page number that is not one shows the first): its own page,
    so the book page stays one logged read, and this one is logged as the visits' read."""
    if registry.registered_id(session=g.session, personal_id=own_id(g)) is None:
        return templates.TemplateResponse(request, "visits.html", {"visits": [], "total": 0})
    number = int(page) if page.isascii() and page.isdecimal() and len(page) <= 6 else 1
    number = max(number, 1)
    listed = visits_api.my_visits(g, limit=VISITS_A_PAGE, offset=(number - 1) * VISITS_A_PAGE)
    pages = max(1, -(-listed["total"] // VISITS_A_PAGE))
    return templates.TemplateResponse(request, "visits.html", {
        "visits": listed["visits"], "total": listed["total"], "page": number, "pages": pages})


@router.get("/verify")
def check_form(request: Request) -> Response:
    """The public check of a book PDF, a book's QR text or an HI card's QR text: no sign-in."""
    return _check_page(request, None)


async def _parts_twice(request: Request) -> str | None:
    """The check form's field posted more than once (a script's, or a form made elsewhere),
    said naming it, as the API's verify routes refuse two files; None when none is."""
    form = await request.form()  # the form FastAPI read for the route
    for name, vietnamese in CHECK_FIELDS.items():
        if (n := len(form.getlist(name))) > 1:
            return (f"Biểu mẫu gửi {n} {vietnamese} (trường {name}); mỗi lần chỉ kiểm tra một. "
                    f"/ the form holds {n} parts named {name}; one is checked a request: check "
                    "each on its own")
    return None


@router.post("/verify")
def check(request: Request, g: PublicGuard, twice: Annotated[str | None, Depends(_parts_twice)],
          file: Annotated[UploadFile | None, File()] = None,
          text: Annotated[str, Form()] = "") -> Response:
    """The form's answer: the API's own checks (``POST /api/v1/verify``, and for an HI card's
    QR ``POST /api/v1/hi-cards/verify``), with their upload limit, as that page shows them.
    One thing is checked a request: a file or a QR text, each once. Nothing is logged that
    the API's public routes do not log."""
    if not from_this_site(request):
        return refused(request, 403, FROM_ELSEWHERE)
    if twice:
        return _check_page(request, None, problem=twice, status=422, text=text)
    data = file.file.read(MAX_INPUT + 1) if file is not None else b""
    if data and text.strip():
        return _check_page(request, None, problem=BOTH_TO_CHECK, status=422, text=text)
    if not data:
        data = text.strip().encode()
    if not data and file is not None:  # chosen, but of no bytes: not "choose a file"
        return _check_page(request, None, status=422, problem=(
            f"Tệp đã chọn, {file.filename}, trống: không có gì để kiểm tra. / The file chosen, "
            f"{file.filename}, is empty: nothing to check."))
    if not data:
        return _check_page(request, None, problem=NOTHING_TO_CHECK, status=422)
    answer = book_api.verify(g, UploadFile(io.BytesIO(data), filename="upload"))
    if NOT_A_BOOK_QR in answer["errors"]:  # an HI card's QR: the card's own check
        card = book_api.verify_hi_card(g, UploadFile(io.BytesIO(data), filename="upload"))
        return _check_page(request, {"card": True, **card.model_dump()}, text=text)
    return _check_page(request, answer, text=text)


def too_large(request: Request, limit: int) -> Response | None:
    """A file posted to the check page past the server's body limit (``BodyLimit``,
    SIBOOK_MAX_UPLOAD_BYTES): the page again, saying so, not the API's JSON. None for any
    other request (no other page takes a file)."""
    if request.url.path != CHECK_PAGE:
        return None
    vietnamese = f"{limit:,}".replace(",", ".")  # as the pages group an amount's digits
    return page_headers(_check_page(request, None, status=413, problem=(
        f"Tệp quá lớn: máy chủ nhận tối đa {vietnamese} byte mỗi lần gửi; không có gì được "
        f"kiểm tra. / The file is larger than the server takes: at most {limit:,} bytes a "
        "request; nothing was checked.")))


def _check_page(request: Request, answer: dict[str, Any] | None, *, problem: str | None = None,
                status: int = 200, text: str = "") -> Response:
    """The form, and under it the last answer: each error in Vietnamese, the API's English
    beside it. The QR text pasted stays in its box, to be read against the answer or
    corrected (a file chosen cannot be kept: a browser never lets a page choose one)."""
    reasons = [(check_vi(e), e) for e in answer["errors"]] if answer else []
    warnings = [(check_vi(w), w) for w in (answer or {}).get("warnings") or []]
    return templates.TemplateResponse(request, "verify.html", {
        "a": answer, "reasons": reasons, "warnings": warnings, "problem": problem, "text": text,
        "not_logged": True, "signed_in": session_principal(request) is not None},
        status_code=status)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> Response:
    """Ends the session: the token behind it is refused from now on (a copy of the cookie
    no longer works) and the browser forgets it. A form posted from another site is refused:
    browsers name the page's origin, and only this host's own page may sign its citizen out
    (the session cookie is SameSite=Lax too)."""
    if not from_this_site(request):
        return refused(request, 403, SIGN_OUT_ELSEWHERE)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        s = get_access_settings()
        with suppress(Unauthenticated):  # expired or not ours: nothing to end
            revocation.revoke(session, tokens.verify_own(token, s.access_token_audience, s))
    response = RedirectResponse(f"{PORTAL}/?signed_out=1", status_code=303)  # says so
    response.delete_cookie(SESSION_COOKIE, path=PORTAL)
    return response
