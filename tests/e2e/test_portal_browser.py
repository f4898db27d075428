"""The citizen portal in a real headless Chromium (Debian's, never a downloaded one): sign in
through the development e-identity provider, see the book, download the signed PDF, see the
access log, and be refused politely at level 1 and for anyone else's book.

The app runs in uvicorn on a free loopback port against a seeded temporary SQLite database.
Without /usr/bin/chromium (``make browser`` installs it) the tests skip, unless
SIBOOK_REQUIRE_BROWSER=1 makes that a failure.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import text

from sibook.access import jwks, ratelimit, tokens
from sibook.access.oidc_client import SESSION_COOKIE
from sibook.access.settings import get_access_settings
from sibook.api.app import create_app
from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import decide, receive_claim
from sibook.book import issuing
from sibook.book import service as books
from sibook.book.estimate import estimate
from sibook.contributions import ledger
from sibook.contributions.payments import post_payment
from sibook.contributions.statement import deadline_of
from sibook.core import migrate
from sibook.core.config import get_settings
from sibook.core.db import make_engine, unit_of_work
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.seed.ledger import FIRST_LEDGER_MONTH
from sibook.seed.service import seed
from sibook.visits.service import file_claims
from tests.servers import free_port, serving
from tests.visit_files import claim_file, summary

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Citizen:
    personal_id: str
    full_name: str
    unpaid_months: int


@dataclass(frozen=True)
class Site:
    base: str
    password: str
    tmp: Path
    me: Citizen
    other: Citizen
    late_month: Period  # the month me's employer paid LATE_BY days late
    late_employer: str  # that employer as the page names it: "name (code)"



def _two_citizens(engine_url: str) -> tuple[Citizen, Citizen]:
    """Two civil persons with a career; the first one with unpaid months when the seed has any."""
    found = []
    with unit_of_work(make_engine(engine_url)) as s:
        rows = s.execute(text(
            "SELECT person_id, personal_id, full_name FROM persons p WHERE realm = 'civil' AND "
            "EXISTS (SELECT 1 FROM si_periods WHERE person_id = p.person_id) "
            "ORDER BY person_id LIMIT 60")).all()
        for row in rows:
            book = books.assemble_person(session=s, person_id=row.person_id, as_of=date.today())
            found.append(Citizen(row.personal_id, row.full_name, len(book["arrears"])))
    found.sort(key=lambda c: -c.unpaid_months)
    return found[0], found[1]


def _settle_a_maternity_claim(engine_url: str, personal_id: str) -> None:
    today = date.today()
    with unit_of_work(make_engine(engine_url)) as s:
        person_id = registry.person_id_of(session=s, personal_id=personal_id)
        receive_claim(session=s, person_id=person_id, personal_id=personal_id, actor="clerk",
                      claim=Claim(Regime.MATERNITY, "HS-PORTAL-1", today - timedelta(days=3),
                                  today - timedelta(days=40), today - timedelta(days=5)))
        decide(session=s, person_id=person_id, personal_id=personal_id, actor="approver",
               dossier_no="HS-PORTAL-1", decision=Decision(
                   "settled", today, "77/QĐ-BHXH", amount=2_340_000))


LATE_BY = 15  # days after its deadline the citizen's employer paid one month


def _an_employer_paid_a_month_late(engine_url: str, personal_id: str) -> tuple[Period, str]:
    """The citizen's employer paid one month LATE_BY days after its deadline (this site's seed
    has no late payer): a month before the seeded ledger's first, which the citizen worked,
    assessed now and paid then, as the employer would have. The month, and the employer as
    "name (code)"."""
    month = FIRST_LEDGER_MONTH - 2
    with unit_of_work(make_engine(engine_url)) as s:
        person_id = registry.person_id_of(session=s, personal_id=personal_id)
        employer_id = s.execute(text(
            "SELECT employer_id FROM si_periods WHERE person_id = :p AND employer_id IS NOT NULL"
            " AND from_month <= :m AND (to_month IS NULL OR to_month >= :m)"),
            {"p": person_id, "m": month.index}).scalar_one()
        conn = s.connection()
        ledger.post(conn, ledger.assess(conn, [month], [employer_id]), None)
        due = ledger.dues_by_month(conn, employer_id)[month.index]
        unit = registry.employer_refs(session=s, employer_ids={employer_id})[employer_id]
    with unit_of_work(make_engine(engine_url)) as s:
        post_payment(session=s, employer_code=unit.code, amount=due,
                     bank_reference="VCB-LATE-1",
                     paid_on=deadline_of(month) + timedelta(days=LATE_BY))
    return month, f"{unit.name} ({unit.code})"


VISIT_DAY = date.today() - timedelta(days=3)


def _file_a_visit(engine_url: str, personal_id: str) -> None:
    """A facility's claim for a visit three days ago, on the citizen's seeded card."""
    with unit_of_work(make_engine(engine_url)) as s:
        person_id = registry.person_id_of(session=s, personal_id=personal_id)
        card = registry.hi_cards_of(session=s, person_id=person_id)[-1].card_number
        stamp = f"{VISIT_DAY:%Y%m%d}"
        file_claims(session=s, realm="civil", actor="bv-01001", data=claim_file([summary(
            SO_CCCD=personal_id, MA_THE_BHYT=card, MA_LK="LK-PORTAL-1",
            HO_TEN=registry.person_facts(session=s, person_id=person_id).full_name,
            NGAY_VAO=f"{stamp}0800", NGAY_RA=f"{stamp}0945", MA_BENH_CHINH="K29.7",
            T_TONGCHI_BV="1234000", T_BHTT="987200", T_BNCCT="246800")]))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("portal")
    port, password = free_port(), secrets.token_urlsafe(12)
    base, db_url = f"http://127.0.0.1:{port}", f"sqlite:///{tmp / 'portal.db'}"
    mp = pytest.MonkeyPatch()
    for name, value in {"DATABASE_URL": db_url, "KEYS_DIR": str(tmp / "keys"),
                        "KEY_PASSPHRASE": "portal test", "DEV_IDP": "1",
                        "DEV_IDP_PASSWORD": password, "COOKIE_SECURE": "false",
                        "OIDC_ISSUER": f"{base}/dev-idp",
                        "OIDC_REDIRECT_URI": f"{base}/api/v1/auth/callback",
                        "OIDC_CLIENT_SECRET": secrets.token_urlsafe(24),
                        "AUTH_RATE_PER_MINUTE": "1000"}.items():
        mp.setenv(f"SIBOOK_{name}", value)
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    jwks.forget()
    ratelimit.reset()
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    seed(engine=engine, people=300, employers=20, seed=7)
    engine.dispose()
    me, other = _two_citizens(db_url)
    _settle_a_maternity_claim(db_url, me.personal_id)
    _file_a_visit(db_url, me.personal_id)
    late_month, late_employer = _an_employer_paid_a_month_late(db_url, me.personal_id)
    with serving(create_app(), port):
        yield Site(base, password, tmp, me, other, late_month, late_employer)
    mp.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    jwks.forget()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is absent; `make browser` installs Debian's chromium"
        if os.environ.get("SIBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    yield ctx
    ctx.close()


def sign_in(page: Page, site: Site, personal_id: str, level: int = 2) -> None:
    """Start at the portal, sign in on the development provider's form, come back."""
    page.goto(f"{site.base}/portal/")
    page.get_by_role("link", name=re.compile("Sign in with VNeID")).click()
    page.get_by_label("Personal ID").fill(personal_id)
    page.get_by_label("Password").fill(site.password)
    page.get_by_label("Assurance level").select_option(str(level))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base}/portal/book")


def test_signing_in_through_the_provider_logs_no_error(browser: Browser, site: Site) -> None:
    """The walk from the portal through the development provider's form to the book, in a
    browser of its own (one asks a site for its /favicon.ico once): no console error, no
    request answered 4xx or 5xx. The provider's form named no icon, and /favicon.ico is 404."""
    fresh = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = fresh.new_page(locale="vi-VN")
        seen: list[str] = []
        page.on("console", lambda m: seen.append(f"{m.type}: {m.text}") if m.type in (
            "error", "warning") else None)
        page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400
                else None)
        sign_in(page, site, site.me.personal_id)
        expect(page.get_by_role("heading", level=1)).to_contain_text(site.me.full_name)
        page.wait_for_timeout(500)  # not a timing assertion: the icon is asked for after load
        assert seen == []
    finally:
        fresh.close()


def test_a_citizen_signs_in_and_sees_their_own_book(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.me.full_name)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_text(site.me.personal_id)).to_be_visible()
    expect(page.get_by_text("Việt Nam / Viet Nam", exact=True)).to_be_visible()  # by name
    expect(page.get_by_role("heading", name=re.compile("Totals"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Contribution sheets"))).to_be_visible()
    unpaid = page.get_by_role("table").filter(has_text="Withheld from you")
    expect(unpaid.locator("tbody tr")).to_have_count(site.me.unpaid_months)
    settled = page.locator("table#benefits tbody tr").filter(has_text="HS-PORTAL-1")
    for shown in ("Thai sản", "77/QĐ-BHXH", "2.340.000 ₫", "đã giải quyết"):
        expect(settled).to_contain_text(shown)
    issue(page, site)
    for image in ("QR", "card"):  # both images are there and decode
        loaded = page.get_by_role("img", name=re.compile(image)).evaluate(
            "img => img.complete && img.naturalWidth > 0")
        assert loaded, image
    page.screenshot(path=str(site.tmp / "portal-book.png"), full_page=True)


def issue(page: Page, site: Site) -> None:
    """Sign the book as it stands, when the page offers to (the facts changed since it was last
    signed); opening the page records no version."""
    button = page.get_by_role("button", name=re.compile("Issue the signed version"))
    if button.count():
        button.click()
        page.wait_for_url(f"{site.base}/portal/book#download")
    expect(page.locator("#unsigned")).to_have_count(0)


def test_the_signed_pdf_downloads(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    issue(page, site)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the signed book")).click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf  # a signed PDF


def test_anyone_checks_a_downloaded_pdf_on_the_portal_without_signing_in(
        browser: Browser, context: BrowserContext, site: Site) -> None:
    """The bank clerk given the citizen's PDF: from the portal's start page, not signed in,
    to the check page; the PDF uploaded is the agency's, of this person, its English marked."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    issue(page, site)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the signed book")).click()
    pdf = site.tmp / "given.pdf"
    download.value.save_as(pdf)
    clerk = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    try:
        other = clerk.new_page()
        other.goto(f"{site.base}/portal/")
        other.get_by_role("link", name="Kiểm tra sổ, thẻ").click()
        other.wait_for_url(f"{site.base}/portal/verify")
        other.get_by_label(re.compile("Tệp sổ BHXH")).set_input_files(str(pdf))
        other.get_by_role("button", name=re.compile("Kiểm tra")).click()
        expect(other.locator("#verdict")).to_have_text(re.compile("^Hợp lệ"))
        expect(other.locator("main dl")).to_contain_text(site.me.personal_id)
        assert other.evaluate(UNMARKED_ENGLISH) == []
        assert other.evaluate(UNMARKED_AFTER_A_SLASH) == []
        other.screenshot(path=str(site.tmp / "portal-verify.png"), full_page=True)
    finally:
        clerk.close()


# A file field's width as laid out, and whether the browser's own "Choose File" button shows.
FILE_FIELD = """e => [e.getBoundingClientRect().width,
  getComputedStyle(e, '::file-selector-button').display]"""


def test_the_check_pages_file_field_reads_in_the_portals_words_whatever_the_browsers_language(
        browser: Browser, site: Site) -> None:
    """An English Chromium drew "Choose File" and "No file chosen" (a Vietnamese one its own
    words) amid the page's Vietnamese and English: the page's own button and line say them
    in both languages, the browser's field out of sight until a file is chosen, then showing
    the file's name only. The field is still the keyboard's stop, named by its label, its ring
    on the page's button, which opens the file chooser; the page runs no script."""
    ctx = browser.new_context(locale="en-US", viewport=PHONE)
    try:
        page = ctx.new_page()
        page.goto(f"{site.base}/portal/verify")
        field = page.locator("input[type=file]")
        expect(field).to_have_accessible_name(
            "Tệp sổ BHXH (PDF) hoặc tệp văn bản mã QR / The book's PDF or a QR text file")
        assert field.evaluate(FILE_FIELD)[0] <= 1
        expect(page.get_by_text("Chưa chọn tệp / No file chosen")).to_be_visible()
        page.get_by_label(re.compile("Or paste the QR text")).focus()
        page.keyboard.press("Shift+Tab")
        expect(field).to_be_focused()
        button = page.get_by_text("Chọn tệp / Choose a file")
        assert button.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
        with page.expect_file_chooser() as chooser:
            button.click()
        given = site.tmp / "not a book.txt"
        given.write_text("SIB1:not a book")
        chooser.value.set_files(str(given))
        expect(page.get_by_text("Chưa chọn tệp")).to_be_hidden()
        expect(page.get_by_text("Tệp đã chọn / Chosen:")).to_be_visible()
        width, own_button = field.evaluate(FILE_FIELD)
        assert width > 1 and own_button == "none"
        page.screenshot(path=str(site.tmp / "portal-verify-chosen-375.png"), full_page=True)
        page.get_by_role("button", name=re.compile("Kiểm tra")).click()
        expect(page.locator("#verdict")).to_have_text(re.compile("^Không hợp lệ"))  # it was sent
    finally:
        ctx.close()


def test_a_file_chosen_while_the_box_holds_a_qr_text_is_not_checked_beside_that_text(
        context: BrowserContext, site: Site) -> None:
    """A clerk checks a pasted QR text; the answer keeps it in its box. They then choose a
    file and check again: the file was checked and its verdict shown under the box still
    holding the earlier text, as if about it. The page says to choose one or the other,
    checks nothing, and keeps the text to be cleared."""
    page = context.new_page()
    page.goto(f"{site.base}/portal/verify")
    box = page.get_by_label(re.compile("Or paste the QR text"))
    box.fill("SIB1:an earlier QR")
    page.get_by_role("button", name=re.compile("Kiểm tra")).click()
    expect(page.locator("#verdict")).to_have_text(re.compile("^Không hợp lệ"))
    given = site.tmp / "a file.txt"
    given.write_text("SIB1:the file's QR")
    page.locator("input[type=file]").set_input_files(str(given))
    page.get_by_role("button", name=re.compile("Kiểm tra")).click()
    expect(page.get_by_role("alert")).to_contain_text("not both")
    expect(page.locator("#verdict")).to_have_count(0)
    expect(box).to_have_value("SIB1:an earlier QR")


def _downloaded(page: Page, link: str) -> tuple[str, bytes]:
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(link)).click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_the_qr_and_the_hi_card_download_and_verify(context: BrowserContext,
                                                    site: Site) -> None:
    """The book's QR and the HI card were only shown: no way to keep them but to save an
    image, and the QR's text, what `sibook book verify` and a hospital's check read, none."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    issue(page, site)
    name, text = _downloaded(page, "Download the QR's text")
    assert name.startswith(f"sibook-{site.me.personal_id}-v") and name.endswith("-qr.txt")
    book = httpx2.post(f"{site.base}/api/v1/verify", files={"file": ("qr.txt", text)}).json()
    assert (book["valid"], book["personal_id"]) == (True, site.me.personal_id), book
    name, text = _downloaded(page, "Download the card QR's text")
    assert name.endswith("-the-bhyt-qr.txt")
    card = httpx2.post(f"{site.base}/api/v1/hi-cards/verify",
                       files={"file": ("card.txt", text)}).json()
    assert (card["valid"], card["personal_id"]) == (True, site.me.personal_id), card
    for link, image in (("Download the QR \\(PNG", "signed QR"), ("Download the HI card", "card")):
        name, png = _downloaded(page, link)
        shown = page.get_by_role("img", name=re.compile(image)).get_attribute("src") or ""
        assert name.endswith(".png") and png.startswith(b"\x89PNG")
        assert shown.endswith(base64.b64encode(png).decode())


def test_the_access_log_shows_the_read_just_made(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    page.get_by_role("link", name=re.compile("Who accessed my data")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who accessed my data")
    newest_book_read = page.locator("tbody tr").filter(has_text="GET /portal/book").first
    expect(newest_book_read).to_contain_text("book.read")
    expect(newest_book_read).to_contain_text("Bạn / you")
    # What was done, and that no purpose was stated, in both languages as the rest of the row.
    expect(newest_book_read).to_contain_text("Xem sổ BHXH / viewed the SI book")
    expect(newest_book_read).to_contain_text(
        "Không nêu (mục đích mặc định của việc này) / not stated (the action's default purpose)")
    page.screenshot(path=str(site.tmp / "portal-access-log.png"), full_page=True)
    # Its own read's route, in its narrow column at a desktop's width: it broke at its hyphen,
    # "GET /portal/access-" above "log".
    page.set_viewport_size({"width": 1280, "height": 800})
    own_read = page.locator("tbody tr").filter(has_text="GET /portal/access-log").first
    assert own_read.evaluate(LINES_OF, ["/access-log"]) == [1]


def test_a_citizen_sees_their_hi_visits_and_the_read_is_logged(
        context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    page.get_by_role("link", name=re.compile("My HI visits")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My health insurance visits")
    filed = page.locator("table#visits tbody tr").filter(has_text="K29.7")
    for shown in (f"{VISIT_DAY:%d/%m/%Y} 08:00", f"{VISIT_DAY:%d/%m/%Y} 09:45", "01001",
                  "Khám bệnh", "1.234.000 ₫", "987.200 ₫", "246.800 ₫"):
        expect(filed).to_contain_text(shown)
    page.screenshot(path=str(site.tmp / "portal-visits.png"), full_page=True)
    page.get_by_role("link", name=re.compile("Who accessed my data")).click()
    expect(page.locator("tbody tr").filter(has_text="GET /portal/visits").first
           ).to_contain_text("visit.read")
    other = context.new_page()
    sign_in(other, site, site.other.personal_id)
    other.goto(f"{site.base}/portal/visits")
    expect(other.get_by_role("heading", level=1)).to_contain_text("My health insurance visits")
    expect(other.get_by_text("1.234.000 ₫")).to_have_count(0)


def test_a_level_1_sign_in_is_refused_politely(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto(f"{site.base}/portal/")
    with page.expect_response(f"{site.base}/portal/book") as answer:
        sign_in(page, site, site.me.personal_id, level=1)
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("level-2 e-identity")
    expect(page.get_by_text(site.me.full_name)).to_have_count(0)
    page.screenshot(path=str(site.tmp / "portal-level1.png"), full_page=True)


def test_another_persons_book_is_not_reachable(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    page.goto(f"{site.base}/portal/book?personal_id={site.other.personal_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.me.full_name)
    # The portal cookie is scoped to /portal: the API does not take it...
    api = page.goto(f"{site.base}/api/v1/books/{site.other.personal_id}")
    assert api is not None and api.status == 401
    # ...and as a Bearer token it opens the citizen's own book only.
    token = next(c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE)
    auth = {"Authorization": f"Bearer {token}"}
    other = httpx2.get(f"{site.base}/api/v1/books/{site.other.personal_id}", headers=auth)
    own = httpx2.get(f"{site.base}/api/v1/books/{site.me.personal_id}", headers=auth)
    assert (other.status_code, own.status_code) == (404, 200)


def test_without_sign_in_a_page_leads_back_to_sign_in(context: BrowserContext,
                                                      site: Site) -> None:
    page = context.new_page()
    page.goto(f"{site.base}/portal/book")
    assert page.url == f"{site.base}/portal/?expired=1"
    expect(page.get_by_role("status")).to_contain_text("not signed in")


def test_a_soldiers_book_shows_their_totals_and_no_units_posts_or_pay(
        context: BrowserContext, site: Site) -> None:
    with unit_of_work(make_engine(f"sqlite:///{site.tmp / 'portal.db'}")) as s:
        soldier, units = s.execute(text(
            "SELECT p.personal_id, group_concat(DISTINCT e.name) FROM persons p "
            "JOIN si_periods sp ON sp.person_id = p.person_id "
            "JOIN employers e ON e.employer_id = sp.employer_id "
            "WHERE p.realm = 'defence' GROUP BY p.personal_id ORDER BY p.personal_id")).first()
    page = context.new_page()
    sign_in(page, site, soldier)
    expect(page.get_by_role("heading", name=re.compile("Totals"))).to_be_visible()
    expect(page.get_by_text(re.compile("state secrets kept by their ministry"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Contribution sheets"))).to_have_count(0)
    body = page.locator("body").inner_text()
    assert not [name for name in units.split(",") if name in body]


def test_the_estimate_says_why_no_withdrawal_is_offered_beside_a_claimed_pension(
        context: BrowserContext, site: Site) -> None:
    """A pension claimed shows no one-time withdrawal in the estimate, and the page says why
    in both languages (Law 41/2024 Art 70), as the API's estimate does."""
    engine = make_engine(f"sqlite:///{site.tmp / 'portal.db'}")
    with unit_of_work(engine) as s:  # the oldest civil person: long past retirement age
        retired = str(s.scalar(text(
            "SELECT personal_id FROM persons WHERE realm = 'civil' AND personal_id NOT IN "
            "(:me, :other) ORDER BY birth_date LIMIT 1"),
            {"me": site.me.personal_id, "other": site.other.personal_id}))
        person_id = registry.person_id_of(session=s, personal_id=retired)
        today = date.today()
        receive_claim(session=s, person_id=person_id, personal_id=retired, actor="clerk",
                      claim=Claim(Regime.PENSION, "HS-PORTAL-HT", today,
                                  (today.replace(day=1) + timedelta(days=32)).replace(day=1)))
    engine.dispose()
    page = context.new_page()
    sign_in(page, site, retired)
    withdrawal = page.locator("#withdrawal")
    expect(withdrawal).to_contain_text("Không hưởng BHXH một lần khi đang hưởng hoặc đã đề nghị "
                                       "hưởng lương hưu (Điều 70 Luật BHXH 2024)")
    expect(withdrawal).to_contain_text("dossier HS-PORTAL-HT claims a pension: a one-time "
                                       "withdrawal is not paid")
    expect(withdrawal).not_to_contain_text("₫")


def _unregistered_adult(site: Site, nth: int = 0) -> str:
    """A citizen the population database holds who has never been registered for SI (the
    ``nth`` by personal ID: the join test registers the first)."""
    with unit_of_work(make_engine(f"sqlite:///{site.tmp / 'portal.db'}")) as s:
        return str(s.scalar(text(
            "SELECT personal_id FROM population_citizens c WHERE birth_date < :adult AND NOT "
            "EXISTS (SELECT 1 FROM persons p WHERE p.personal_id = c.personal_id) "
            "ORDER BY personal_id LIMIT 1 OFFSET :nth"),
            {"adult": date.today() - timedelta(days=30 * 366), "nth": nth}))


def test_a_citizen_without_a_book_joins_voluntary_si_from_the_portal(
        context: BrowserContext, site: Site) -> None:
    newcomer = _unregistered_adult(site)
    page = context.new_page()
    sign_in(page, site, newcomer)
    expect(page.get_by_role("heading", level=1)).to_contain_text("You have no e-SI book yet")
    # Below the floor (FACTS §3.4: the rural poverty line): refused on the form, nothing stored.
    page.get_by_label("Monthly income").fill("1000")
    page.get_by_label("Province you live in").select_option(label="Hà Nội")
    with page.expect_response(f"{site.base}/portal/voluntary") as answer:
        page.get_by_role("button", name=re.compile("Join")).click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("income")
    expect(page.get_by_label("Monthly income")).to_have_value("1000")  # what was typed stays
    page.screenshot(path=str(site.tmp / "portal-join-refused.png"), full_page=True)
    # Another site's form cannot make the choice for them (the cookie travels with it).
    token = next(c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE)
    forged = httpx2.post(f"{site.base}/portal/voluntary", cookies={SESSION_COOKIE: token},
                         headers={"Origin": "https://evil.example"},
                         data={"income": "5000000", "support_group": "other"})
    assert forged.status_code == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("You have no e-SI book yet")
    page.get_by_label("Monthly income").fill("5000000")
    support = page.get_by_role("radiogroup", name=re.compile("State support"))
    expect(support.get_by_role("radio", name=re.compile("No support"))).to_have_count(0)
    expect(support.get_by_role("radio")).to_have_count(5)  # the law's five groups, no other
    expect(support.get_by_role("radio", name=re.compile("Everyone else"))).to_be_checked()
    support.get_by_role("radio", name=re.compile("Near-poor household")).check()
    page.get_by_role("button", name=re.compile("Join")).click()
    page.wait_for_url(f"{site.base}/portal/book")
    expect(page.get_by_role("heading", level=1)).to_contain_text("SI book")
    expect(page.get_by_text(newcomer)).to_be_visible()
    page.screenshot(path=str(site.tmp / "portal-joined.png"), full_page=True)
    with unit_of_work(make_engine(f"sqlite:///{site.tmp / 'portal.db'}")) as s:
        joined = s.execute(text(
            "SELECT v.salary_basis, v.support_group FROM si_periods v JOIN persons p "
            "ON p.person_id = v.person_id WHERE p.personal_id = :id"), {"id": newcomer}).all()
    assert [tuple(r) for r in joined] == [(5_000_000, "near_poor")]


def test_a_revoked_version_shows_a_notice_and_no_signed_qr_or_pdf(
        context: BrowserContext, site: Site) -> None:
    citizen = site.other.personal_id
    engine = make_engine(f"sqlite:///{site.tmp / 'portal.db'}")
    with unit_of_work(engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=citizen)
        version, _ = books.current_version(session=s, person_id=person_id, as_of=date.today())
    agency = issuing.agency()
    with unit_of_work(engine) as s:
        issuing.revoke_version(s, agency, person_id=person_id, personal_id=citizen,
                               version=version.version, reason="nghi gian lan")
    try:
        page = context.new_page()
        sign_in(page, site, citizen)
        expect(page.locator("#revoked")).to_contain_text("revoked by the agency")
        expect(page.get_by_role("img", name=re.compile("signed QR"))).to_have_count(0)
        download = page.get_by_role("button", name=re.compile("Download the signed book"))
        expect(download).to_have_count(0)
        expect(page.get_by_text("gian lan")).to_have_count(0)  # why is the approvers' own
    finally:
        with unit_of_work(engine) as s:
            issuing.reinstate_version(s, agency, person_id=person_id, personal_id=citizen,
                                      version=version.version)
        engine.dispose()


PHONE = {"width": 375, "height": 800}
SIDEWAYS = """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
  [...document.querySelectorAll('table')].filter(
    t => !t.closest('[role=region][tabindex="0"][aria-label]')).length]"""
# The right edge of each table caption's words, as first shown (before its table is scrolled).
CAPTIONS = """() => [...document.querySelectorAll('caption')].map(c => {
  const r = document.createRange(); r.selectNodeContents(c);
  return Math.round(r.getBoundingClientRect().right); })"""


@pytest.mark.parametrize("path", ["book", "visits", "access-log"])
def test_at_a_phones_width_no_page_scrolls_sideways(browser: Browser, site: Site,
                                                    path: str) -> None:
    """At 375 px the terms stand above their values and each table scrolls in its own
    labelled region, which the keyboard reaches: the page itself is never wider than the
    screen (the book was 768 px wide, its values off the right edge)."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        page.goto(f"{site.base}/portal/{path}")
        expect(page.locator("table").first).to_be_visible()
        page_width, screen, tables_outside_a_region = page.evaluate(SIDEWAYS)
        page.screenshot(path=str(site.tmp / f"portal-{path}-375.png"), full_page=True)
        assert (page_width, tables_outside_a_region) == (screen, 0)
        assert all(right <= screen for right in page.evaluate(CAPTIONS))
    finally:
        ctx.close()


def test_at_a_phones_width_the_months_the_employer_paid_late_scroll_in_their_region(
        browser: Browser, site: Site) -> None:
    """The late-months table (FACTS §3.7) at 375 px: the employer by name and code, its days
    and status columns scroll in its own labelled region, not the page."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        region = page.get_by_role("region", name=re.compile("Months your employer paid late"))
        row = region.locator("tbody tr").filter(
            has_text=f"{site.late_month.month:02d}/{site.late_month.year}")
        expect(row).to_contain_text(site.late_employer)
        expect(row).to_contain_text(str(LATE_BY))
        expect(row).to_contain_text("đã đóng / paid")
        page.screenshot(path=str(site.tmp / "portal-book-late-375.png"), full_page=True)
        page_width, screen, tables_outside_a_region = page.evaluate(SIDEWAYS)
        assert (page_width, tables_outside_a_region) == (screen, 0)
        assert region.evaluate("r => r.getBoundingClientRect().right") <= screen
    finally:
        ctx.close()


# How many lines each of the words, found in a text node of the element, is laid out on.
LINES_OF = """(e, words) => words.map(w => {
  const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode()); ) {
    const i = n.textContent.indexOf(w);
    if (i < 0) continue;
    const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + w.length);
    return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size;
  }
  return 0; })"""


def _settle_a_pension(engine_url: str, dossier: str, decision_no: str) -> str:
    """A pension claimed from next month by a civil person past the age whose jobs all ended,
    settled at what the book's estimate gives, the average its decision states the book's:
    its line's amount and average stand nowrap in the widest column."""
    today = date.today()
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    with unit_of_work(make_engine(engine_url)) as s:
        pensioner = str(s.scalar(text(
            "SELECT personal_id FROM persons p WHERE realm = 'civil' AND birth_date < :old AND "
            "EXISTS (SELECT 1 FROM si_periods WHERE person_id = p.person_id) AND NOT EXISTS "
            "(SELECT 1 FROM si_periods WHERE person_id = p.person_id AND to_month IS NULL) "
            "AND NOT EXISTS (SELECT 1 FROM benefit_claims WHERE person_id = p.person_id AND "
            "regime = 'pension') ORDER BY birth_date DESC LIMIT 1"),
            {"old": date(today.year - 63, 1, 1)}))
        person_id = registry.person_id_of(session=s, personal_id=pensioner)
        receive_claim(session=s, person_id=person_id, personal_id=pensioner, actor="clerk",
                      claim=Claim(Regime.PENSION, dossier, today, start))
    with unit_of_work(make_engine(engine_url)) as s:
        book = books.assemble_person(session=s, person_id=person_id, as_of=today)
        due = estimate(book, Period.of(today))
        decide(session=s, person_id=person_id, personal_id=pensioner, actor="approver",
               dossier_no=dossier, decision=Decision(
                   "settled", today, decision_no, monthly_amount=due["pension"][
                       "monthly_pension"], from_month=Period.of(start),
                   average_salary=due["average_salary"]))
    return pensioner


def test_at_a_phones_width_a_benefits_dossier_and_decision_numbers_read_whole(
        browser: Browser, site: Site) -> None:
    """A pensioner's phone showed "HS-HT-" above "0001," and "501/QĐ-" above "BHXH,": the
    numbers broke at their hyphens in the benefits table's columns, narrowed by the pension's
    amount and average beside them."""
    pensioner = _settle_a_pension(f"sqlite:///{site.tmp / 'portal.db'}", "HS-HT-0001",
                                  "501/QĐ-BHXH")
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, pensioner)
        row = page.locator("table#benefits tbody tr").filter(has_text="HS-HT-0001")
        expect(row).to_contain_text("bình quân tiền lương")
        page.screenshot(path=str(site.tmp / "portal-pension-375.png"), full_page=True)
        assert row.evaluate(LINES_OF, ["HS-HT-0001", "501/QĐ-BHXH"]) == [1, 1]
    finally:
        ctx.close()


def test_at_a_phones_width_the_join_form_fits(browser: Browser, site: Site) -> None:
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=1))
        expect(page.get_by_role("radiogroup", name=re.compile("State support"))).to_be_visible()
        page_width, screen, _ = page.evaluate(SIDEWAYS)
        assert page_width == screen  # the support list's long options were 495 px wide
    finally:
        ctx.close()


def test_at_a_phones_width_each_support_group_is_read_in_full(browser: Browser,
                                                               site: Site) -> None:
    """The support groups were a closed list whose chosen line a phone cut off mid-word
    ("Hộ nghèo: hỗ trợ 50% / Poor househ"): each is a choice of its own, its words whole."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=1))
        choices = page.get_by_role("radiogroup", name=re.compile("State support")).locator(
            "label")
        expect(choices).to_have_count(5)
        for label in choices.all():
            right, cut = label.evaluate("""l => [l.getBoundingClientRect().right,
              l.scrollWidth > l.clientWidth]""")
            assert right <= PHONE["width"] and not cut, label.inner_text()
        page.screenshot(path=str(site.tmp / "portal-join-groups-375.png"), full_page=True)
    finally:
        ctx.close()


# Each form field's height and text size, as laid out: a choice's by the words it is tapped on.
FIELDS = """() => [...document.querySelectorAll('main input, main select')].map(e => {
  const tapped = e.type === 'radio' ? e.closest('label') : e;
  return [e.name, tapped.getBoundingClientRect().height,
          parseFloat(getComputedStyle(tapped).fontSize)]; })"""


def test_at_a_phones_width_the_join_forms_fields_are_big_enough_to_tap_and_read(
        browser: Browser, site: Site) -> None:
    """The fields kept the browser's own 13 px text in boxes 19 px high: under the 24 px a
    finger needs (WCAG 2.5.8), and a phone zooms the page into a field under 16 px."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=2))
        expect(page.get_by_label("Monthly income")).to_be_visible()
        fields = page.evaluate(FIELDS)
        page.screenshot(path=str(site.tmp / "portal-join-375.png"), full_page=True)
        assert len(fields) == 3 + 5  # income, first month, province; five support groups
        assert [f for f in fields if f[1] < 24 or f[2] < 16] == []
    finally:
        ctx.close()


def test_the_first_tab_shows_a_skip_link_that_reads_clearly(context: BrowserContext,
                                                            site: Site) -> None:
    """The keyboard's first stop, drawn on an opaque ground above the site's title: it was
    transparent, its words printed through the title's, unreadable."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=re.compile("Skip to content"))
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert skip.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(255, 255, 255)"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_after_signing_out_the_back_button_shows_no_personal_data(
        context: BrowserContext, site: Site) -> None:
    """The pages are no-store: going back after signing out asks the server again, which
    sends the browser to the sign-in page, not a kept copy of the visits or the book."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    page.goto(f"{site.base}/portal/visits")
    expect(page.get_by_text("1.234.000 ₫")).to_be_visible()
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(f"{site.base}/portal/?signed_out=1")
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    for _ in range(2):  # the visits, then the book
        page.go_back()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
        expect(page.get_by_text(site.me.full_name)).to_have_count(0)
        expect(page.get_by_text("1.234.000 ₫")).to_have_count(0)


def test_an_active_citizen_stays_signed_in_and_signing_out_ends_every_copy(
        context: BrowserContext, site: Site) -> None:
    """A page opened late in the session token's life renews it in the browser (the same
    session); signing out then refuses a copy of the cookie from before the renewal too."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    s = get_access_settings()
    claims = tokens.verify_own(session_cookie(context), s.access_token_audience, s)
    aged = tokens.issue(claims, s, issued_at=int(time.time()) - s.access_token_ttl + 60)
    context.add_cookies([{"name": SESSION_COOKIE, "value": aged, "domain": "127.0.0.1",
                          "path": "/portal", "httpOnly": True, "sameSite": "Lax"}])
    page.goto(f"{site.base}/portal/visits")
    expect(page.get_by_text("1.234.000 ₫")).to_be_visible()
    renewed = session_cookie(context)
    assert renewed != aged
    assert tokens.verify_own(renewed, s.access_token_audience, s)["sid"] == claims["sid"]
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(f"{site.base}/portal/?signed_out=1")
    context.add_cookies([{"name": SESSION_COOKIE, "value": aged, "domain": "127.0.0.1",
                          "path": "/portal", "httpOnly": True, "sameSite": "Lax"}])
    page.goto(f"{site.base}/portal/book")
    assert page.url == f"{site.base}/portal/?expired=1"
    expect(page.get_by_text(site.me.full_name)).to_have_count(0)


def session_cookie(context: BrowserContext) -> str:
    """The browser's one session cookie (a copy put in replaces it: one name, host and path)."""
    (value,) = [c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE]
    return value


# The English of an element of the English class that holds no Vietnamese letter.
UNMARKED_ENGLISH = r"""() => [...document.querySelectorAll('.en')].filter(e =>
  !/[À-ỹĐđ]/.test(e.textContent) && e.tagName !== 'CODE' && e.closest('[lang]').lang !== 'en'
).map(e => e.textContent.trim())"""


# Text read in the page's Vietnamese that goes on "/ English" after its Vietnamese: the words
# and values the pages write in both languages ("Nam / Male", "đã đóng / paid", a button's).
UNMARKED_AFTER_A_SLASH = r"""() => { const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode()); ) {
    const e = n.parentElement;
    if (e.closest('[lang]').lang === 'en' || e.closest('code')) continue;
    if (/(^|\s)\/\s*[A-Za-z]/.test(n.textContent)) out.push(n.textContent.trim());
  }
  return out; }"""


@pytest.mark.parametrize("path", ["book", "visits", "access-log"])
def test_the_english_beside_the_vietnamese_is_marked_as_english(
        context: BrowserContext, site: Site, path: str) -> None:
    """A screen reader reads the page (lang="vi") in a Vietnamese voice and switches to an
    English one for the English beside it (WCAG 3.1.2): none of it was marked, and then the
    values in both languages (sex, statuses, who acted, how it ended), the buttons and the
    tables' captions were not."""
    page = context.new_page()
    sign_in(page, site, site.me.personal_id)
    issue(page, site)
    page.goto(f"{site.base}/portal/{path}")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    assert page.evaluate(UNMARKED_ENGLISH) == []
    assert page.evaluate(UNMARKED_AFTER_A_SLASH) == []


# What the keyboard's focus looks like on the element that holds it.
FOCUS_RING = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"""


def test_the_keyboard_focus_shows_as_a_thick_ring_on_every_stop(browser: Browser,
                                                                 site: Site) -> None:
    """Each stop of the keyboard on the book page at a phone's width (menu, sign-out, each
    table's region, the download buttons and links) wears a 3 px ring in the notices' amber:
    the browser's own 1 px dark ring was lost against the dark blue buttons, and, around a
    table's region taller than the screen (only its sides show), among the table's lines."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        issue(page, site)
        # From the page's top: issuing it here (as when this test runs alone) leaves the focus
        # at #download, past the menu and the tables.
        page.goto(f"{site.base}/portal/book")
        stops = []
        for _ in range(30):
            page.keyboard.press("Tab")
            stop = page.evaluate(FOCUS_RING)
            if stop[0] == "BODY":  # past the last stop
                break
            stops.append(stop)
        assert {tag for tag, *_ in stops} == {"A", "BUTTON", "DIV"}, stops
        assert [s for s in stops if s[1:] != ["solid", 3, "rgb(180, 95, 6)"]] == []
    finally:
        ctx.close()


# The sign-out button's place in the header: its gap above the header's rule, its right edge
# against the header's content edge, its text's lines, its top against the title's bottom and
# its bottom against the menu's first link's top.
SIGN_OUT_PLACE = """b => { const h = b.closest('header'), s = getComputedStyle(h);
  const line = h.getBoundingClientRect().bottom - parseFloat(s.borderBottomWidth);
  const r = b.getBoundingClientRect(), words = document.createRange();
  words.selectNodeContents(b);
  const title = h.querySelector('p').getBoundingClientRect();
  const menu = h.querySelector('nav a').getBoundingClientRect();
  return {gap: line - r.bottom,
          right: h.getBoundingClientRect().right - parseFloat(s.paddingRight) - r.right,
          lines: new Set([...words.getClientRects()].map(c => Math.round(c.top))).size,
          beside_title: r.top < title.bottom, above_menu: r.bottom <= menu.top}; }"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}])
def test_the_sign_out_button_keeps_its_place_at_the_headers_right(
        browser: Browser, site: Site, viewport: dict[str, int]) -> None:
    """The button sat on the header's blue rule, its edge and the line one at both widths;
    then, as the menu's last item, it fell wherever the links left room: a row of its own
    under them on a phone and at 1024-1280 px, beside the last link at 700-900 px. It stands
    at the header's right, above the menu, its words on one line: beside the site's name on
    a desktop, under it on a phone."""
    ctx = browser.new_context(locale="vi-VN", viewport=viewport)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        button = page.get_by_role("button", name=re.compile("Sign out"))
        place = button.evaluate(SIGN_OUT_PLACE)
        assert place["gap"] >= 8, place
        assert abs(place["right"]) < 1 and place["lines"] == 1 and place["above_menu"], place
        assert place["beside_title"] == (viewport["width"] > 640), place
    finally:
        ctx.close()


# Scrolled to its far right, each row's first cell: where it stands against the region's left
# edge, and whether it is what shows at its own middle (not a cell scrolled over it).
FIRST_CELLS_AT_THE_RIGHT = """r => {
  r.querySelector('tbody tr').scrollIntoView({block: 'start'}); r.scrollLeft = r.scrollWidth;
  const left = r.getBoundingClientRect().left;
  return [...r.querySelectorAll('tbody tr')].slice(0, 3).map(tr => {
    const c = tr.cells[0].getBoundingClientRect();
    const shown = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
    return [Math.round(c.left - left), tr.cells[0].contains(shown)]; }); }"""


@pytest.mark.parametrize(("path", "region"), [("book", "Contribution sheets"),
                                              ("visits", "HI visits")])
def test_at_a_phones_width_a_row_keeps_its_month_while_its_amounts_scroll_into_view(
        browser: Browser, site: Site, path: str, region: str) -> None:
    """Scrolled sideways to a sheet's contributions or a visit's costs, a phone showed the
    amounts with neither the months nor the day they were for: the first column stays."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        page.goto(f"{site.base}/portal/{path}")
        scrolled = page.get_by_role("region", name=re.compile(region))
        cells = scrolled.evaluate(FIRST_CELLS_AT_THE_RIGHT)
        page.screenshot(path=str(site.tmp / f"portal-{path}-scrolled-375.png"))
        assert cells and all(cell == [0, True] for cell in cells), cells
    finally:
        ctx.close()


def test_issuing_the_book_on_a_phone_lands_on_what_it_issued(browser: Browser,
                                                             site: Site) -> None:
    """The button is at the foot of a long page; the issued QR, card and PDF are beside it.
    The answer led back to the page's top, several screens above them."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        with unit_of_work(make_engine(f"sqlite:///{site.tmp / 'portal.db'}")) as s:
            unsigned = str(s.scalar(text(  # a career whose book no version records yet
                "SELECT personal_id FROM persons p WHERE realm = 'civil' AND EXISTS (SELECT 1 "
                "FROM si_periods WHERE person_id = p.person_id) AND NOT EXISTS (SELECT 1 FROM "
                "book_versions WHERE person_id = p.person_id) ORDER BY person_id DESC")))
        sign_in(page, site, unsigned)
        page.get_by_role("button", name=re.compile("Issue the signed version")).click()
        page.wait_for_url(f"{site.base}/portal/book#download")
        expect(page.get_by_role("heading", name=re.compile("Download and QR"))).to_be_in_viewport()
        expect(page.get_by_role("button", name=re.compile("Download the signed book"))
               ).to_be_in_viewport()
    finally:
        ctx.close()


def test_on_a_desktop_a_long_term_does_not_push_its_lists_values_aside(
        context: BrowserContext, site: Site) -> None:
    """The estimate's longest term ("Pension on the months paid so far") made its column 500 px
    wide at 1280 px: every value of the list stood in the page's right half, wrapping."""
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, site, site.me.personal_id)
    estimate = page.locator("h2#estimate + dl")
    offset = estimate.evaluate("""dl => dl.querySelector('dd').getBoundingClientRect().left
                                       - dl.getBoundingClientRect().left""")
    assert offset <= 20 * 16 + 16, offset  # a term at most 20rem, then the 1rem gap


def test_an_empty_join_form_is_answered_by_the_server_in_vietnamese_not_by_browser_bubbles(
        context: BrowserContext, site: Site) -> None:
    """The form does not leave its checks to the browser (whose messages follow the browser's
    own language and never reach the page's error summary): sent empty, the server refuses it
    with each field's reason in Vietnamese and English, and nothing is stored."""
    page = context.new_page()
    sign_in(page, site, _unregistered_adult(site, nth=5))
    with page.expect_response(f"{site.base}/portal/voluntary") as answer:
        page.get_by_role("button", name=re.compile("Join")).click()
    assert answer.value.status == 422
    expect(page.locator("#income-error")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Mức thu nhập tháng")
    expect(page.get_by_role("heading", level=1)).to_contain_text("You have no e-SI book yet")


def test_at_a_phones_width_a_fields_refusal_and_hint_follow_it_without_a_blank_line(
        browser: Browser, site: Site) -> None:
    """Each refusal straight under its field (the support groups' under their last choice),
    and a field's hint straight under its refusal: a line break before the refusal left an
    empty line under the choices."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=4))
        page.evaluate("""() => { const form = document.querySelector('form.join');
          form.querySelectorAll('[name=support_group]').forEach(r => { r.value = 'bogus'; });
          form.querySelector('#income').value = '5000000';
          form.querySelector('#province_code').value = '01'; form.submit(); }""")
        expect(page.locator("#support_group-error")).to_be_visible()
        gaps = [page.evaluate(GAP, ["#support_group label:last-of-type", "#support_group-error"])]
        page.get_by_label("Monthly income").fill("1000")
        page.get_by_role("radio", name=re.compile("Everyone else")).check()
        page.get_by_role("button", name=re.compile("Join")).click()
        expect(page.locator("#income-error")).to_be_visible()
        gaps += [page.evaluate(GAP, ["#income", "#income-error"]),
                 page.evaluate(GAP, ["#income-error", "#income-error ~ small"])]
        assert all(0 <= gap < 8 for gap in gaps), gaps
    finally:
        ctx.close()


# From the bottom of the first element to the top of the second.
GAP = """([above, below]) => document.querySelector(below).getBoundingClientRect().top
                           - document.querySelector(above).getBoundingClientRect().bottom"""


def test_the_join_forms_month_reads_as_the_pages_write_one_whatever_the_browsers_language(
        browser: Browser, site: Site) -> None:
    """An <input type=month> was drawn by the browser in its own language ("November 2026" in
    an English Chromium, on a Vietnamese page whose every other month reads "11/2026"): the
    field is the page's own, month/year, its format said beside it in both languages; a month
    typed otherwise is refused beside it in both languages, and one typed so is joined on."""
    now = Period.of(date.today())
    shown = f"{now.month:02d}/{now.year}"
    ctx = browser.new_context(locale="en-US", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=3))
        field = page.get_by_label(re.compile("First month"))
        expect(field).to_have_value(shown)
        expect(field).to_have_attribute("type", "text")
        expect(field).to_have_accessible_description(re.compile(
            f"Dạng TT/NNNN, ví dụ {shown}. / As MM/YYYY, e.g. {shown}."))
        page.get_by_label("Monthly income").fill("5000000")
        page.get_by_label("Province you live in").select_option(label="Hà Nội")
        field.fill("November 2026")
        with page.expect_response(f"{site.base}/portal/voluntary") as answer:
            page.get_by_role("button", name=re.compile("Join")).click()
        assert answer.value.status == 422
        expect(page.locator("#from_month-error")).to_have_text(
            "Nhập tháng dạng TT/NNNN (tháng/năm), ví dụ 11/2026. / Enter the month as MM/YYYY "
            "(month/year), e.g. 11/2026.")
        expect(field).to_have_value("November 2026")  # what was typed stays, to be corrected
        page.screenshot(path=str(site.tmp / "portal-join-month-refused-375.png"), full_page=True)
        field.fill(f"{now.month}/{now.year}")
        page.get_by_role("button", name=re.compile("Join")).click()
        page.wait_for_url(f"{site.base}/portal/book")
        sheets = page.get_by_role("region", name=re.compile("Contribution sheets"))
        expect(sheets.locator("tbody tr").first.locator("td").first).to_have_text(shown)
    finally:
        ctx.close()


def test_a_signed_in_citizen_reaches_the_check_page_from_the_menu(browser: Browser,
                                                                   site: Site) -> None:
    """The start page linked the public check, the signed-in menu did not: a citizen handed
    someone's book had to sign out or type its address."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, site.me.personal_id)
        menu = page.get_by_role("navigation", name=re.compile("My pages"))
        menu.get_by_role("link", name=re.compile("Check a book or an HI card")).click()
        page.wait_for_url(f"{site.base}/portal/verify")
        here = page.get_by_role("navigation", name=re.compile("My pages")).get_by_role(
            "link", name=re.compile("Check a book"))
        expect(here).to_have_attribute("aria-current", "page")
        expect(page.locator("#not-logged")).to_be_visible()
        page_width, screen, _ = page.evaluate(SIDEWAYS)
        assert page_width == screen
        page.screenshot(path=str(site.tmp / "portal-verify-signed-in-375.png"), full_page=True)
    finally:
        ctx.close()


def test_a_join_form_with_a_bad_month_and_no_province_says_both_at_once(
        browser: Browser, site: Site) -> None:
    """A month not as the form asks and no province chosen: only the month was said, the
    province on the next press of Join. Every problem is said the first time, beside its field
    and in the summary above."""
    ctx = browser.new_context(locale="vi-VN", viewport=PHONE)
    try:
        page = ctx.new_page()
        sign_in(page, site, _unregistered_adult(site, nth=1))
        page.get_by_label("Monthly income").fill("5000000")
        page.get_by_label(re.compile("First month")).fill("13/2026")
        with page.expect_response(f"{site.base}/portal/voluntary") as answer:
            page.get_by_role("button", name=re.compile("Join")).click()
        assert answer.value.status == 422
        expect(page.locator("#from_month-error")).to_be_visible()
        expect(page.locator("#province_code-error")).to_contain_text(
            "Chọn tỉnh, thành phố nơi bạn cư trú")
        summary = page.get_by_role("alert")
        expect(summary.get_by_role("link")).to_have_count(2)
        expect(page.get_by_label("Province you live in")).to_have_attribute(
            "aria-invalid", "true")
        page.screenshot(path=str(site.tmp / "portal-join-both-refused-375.png"), full_page=True)
    finally:
        ctx.close()


def test_an_income_typed_as_the_pages_write_amounts_is_joined_on(browser: Browser,
                                                                 site: Site) -> None:
    """The pages write 5.000.000 ₫: typed so, the browser's number field took the dots for a
    decimal ("5.000000") and the server refused the rest as "digits only"."""
    newcomer = _unregistered_adult(site)  # the first not joined yet: joins
    page = browser.new_context(locale="vi-VN", viewport=PHONE).new_page()
    try:
        sign_in(page, site, newcomer)
        income = page.get_by_label("Monthly income")
        income.press_sequentially("5.000.000")
        expect(income).to_have_value("5.000.000")
        page.get_by_label("Province you live in").select_option(label="Hà Nội")
        page.get_by_role("button", name=re.compile("Join")).click()
        page.wait_for_url(f"{site.base}/portal/book")
    finally:
        page.context.close()
    with unit_of_work(make_engine(f"sqlite:///{site.tmp / 'portal.db'}")) as s:
        joined = s.execute(text(
            "SELECT v.salary_basis FROM si_periods v JOIN persons p "
            "ON p.person_id = v.person_id WHERE p.personal_id = :id"), {"id": newcomer}).all()
    assert [tuple(r) for r in joined] == [(5_000_000,)]
