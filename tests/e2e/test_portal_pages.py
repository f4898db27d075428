"""The portal's pages over HTTP, where a browser is not needed to see the defect: the join form's
refusals in the citizen's words beside their field, the access-log link of a citizen without a
book, and the pages' content security policy."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, update

from sibook import law
from sibook.access import audit, chain, oidc_client, tokens
from sibook.access.actions import Action
from sibook.access.principals import Citizen, Officer
from sibook.access.settings import get_access_settings
from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import decide, receive_claim
from sibook.book import issuing
from sibook.book import service as books
from sibook.book.estimate import Shortfall
from sibook.contributions import ledger
from sibook.contributions.payments import post_payment
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids.personal_id import make_personal_id
from sibook.portal import pages, reasons, web
from sibook.registry import reading as registry
from sibook.registry import service as registry_service
from sibook.registry.new_person import NewPerson
from sibook.visits.domain import VISIT_TYPES
from tests.asgi_raw import raw_get
from tests.e2e.test_access_matrix import HIDDEN, OTHER, OWN, UNIT_A, bearer, populated_app
from tests.e2e.test_benefits_api import PAID, SICK
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.servers import free_port

NEWCOMER = make_personal_id("001", date(1990, 6, 15), "female", 4242)  # no SI record yet
SITE = {"Origin": "http://testserver"}


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           ) -> Iterator[tuple[FastAPI, Engine, dict[str, int]]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    app, engine, ids = populated_app(tmp_path / "portal-pages.db")
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_visits"]), [_visit(ids[OWN], n) for n in range(51)])
        s.execute(insert(metadata.tables["population_citizens"]).values(
            personal_id=NEWCOMER, full_name="Đỗ Thị Mai", birth_date=date(1990, 6, 15),
            sex="female"))
    yield app, engine, ids
    engine.dispose()
    get_access_settings.cache_clear()


def _visit(person_id: int, n: int) -> dict[str, object]:
    """Visit ``n`` of OWN: one a day from 1 January 2026, the 51st (n = 50) the latest."""
    admitted = datetime(2026, 1, 1, 8, 0) + timedelta(days=n)
    return {"person_id": person_id, "facility_code": "01001", "link_code": f"LK{n:03d}",
            "card_number": "DN4010000000001", "admitted_at": admitted,
            "discharged_at": admitted + timedelta(hours=1), "diagnosis": "J03",
            "visit_type": "01", "total_cost": 100_000, "hi_paid": 80_000,
            "patient_paid": 20_000, "filed_by": "bv-01001"}


@pytest.fixture
def client(portal: tuple[FastAPI, Engine, dict[str, int]]) -> TestClient:
    return TestClient(portal[0], raise_server_exceptions=False)


def signed_in(c: TestClient, personal_id: str) -> TestClient:
    token = bearer(Citizen(personal_id, 2))["Authorization"].removeprefix("Bearer ")
    c.cookies.set("sibook_session", token, path="/portal")
    return c


def _as_read(page: str) -> str:
    """A page's text as read, without the spans that mark its English as English (or keep a
    route's part whole) and the line breaks a route allows."""
    return re.sub(r"</?span[^>]*>|<wbr>", "", page)


def _beside(page: str, field: str) -> str | None:
    """The refusal beside a field of the join form, as read (its English's markup left out)."""
    found = re.search(rf'<strong class="field-error" id="{field}-error">(.*?)</strong>', page,
                      re.S)
    return _as_read(found.group(1)) if found else None


@pytest.mark.parametrize(("form", "field", "says"), [
    ({"income": "-5"}, "income", "in digits"),
    ({"income": "\u0665" * 7}, "income", "in digits"),  # Arabic-Indic: 0-9 only
    # Grouped as the pages write amounts or not at all: every group of three, one separator.
    *(({"income": typed}, "income", "in groups of three") for typed in (
        "5.00.000", "5,000,000", "5.000 000", "5000.000", ".500.000", "5.000.000,5", "5 000.")),
    ({"income": "9" * 5000}, "income", "too large"),  # past what int() reads: was a 500
    ({"income": "5000000", "from_month": "2026-13"}, "from_month", "MM/YYYY"),
    ({"income": "5000000", "from_month": "13/2026"}, "from_month", "MM/YYYY"),
    ({"income": "5000000", "from_month": "November 2026"}, "from_month", "MM/YYYY"),
    ({"income": "5000000", "from_month": "11-2026"}, "from_month", "MM/YYYY"),
    ({"income": "5000000", "from_month": "\u0661\u0661/2026"}, "from_month", "MM/YYYY"),
    ({"income": "5000000", "support_group": "bogus"}, "support_group", "Choose one"),
    ({"income": "5000000", "province_code": "1"}, "province_code", "Choose the province"),
    ({"income": "5000000", "support_group": "other"}, "province_code",
     "which province you live in"),
    # The form lists no "no support" (the system stops the support after 120 months itself).
    ({"income": "5000000", "province_code": "01"}, "support_group", "Choose one"),
])
def test_a_bad_join_form_says_what_to_type_beside_the_field(
        client: TestClient, form: dict[str, str], field: str, says: str) -> None:
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", data=form, headers=SITE)
    assert page.status_code == 422
    beside = _beside(page.text, field)
    assert beside is not None and says in beside, page.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.text, re.S)
    for jargon in ("should match pattern", "valid integer", "Input should be", "^(19|20)"):
        assert jargon not in page.text


@pytest.mark.parametrize("typed", ["{m:02d}/{y}", " {m}/{y} ", "{y}-{m:02d}"])
def test_the_join_forms_month_is_read_as_the_pages_write_it(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]], typed: str) -> None:
    """The first month is typed as the pages print one, month/year ("11/2026"), in a text
    field whose format the page says in both languages (an <input type=month> showed the
    browser's language's "November 2026" on a Vietnamese page); the API's "2026-11" still
    reads. The form offers this month so."""
    now = Period.of(date.today())
    c = signed_in(client, NEWCOMER)
    form = c.get("/portal/book").text
    shown = web.month(str(now))
    assert re.search(rf'id="from_month" name="from_month" type="text"[^>]*value="{shown}"'
                     r'[^>]*aria-describedby="from_month-hint"', form, re.S), form
    assert 'type="month"' not in form
    assert _as_read(form).count(f"Dạng TT/NNNN, ví dụ {shown}.\n  / As MM/YYYY") == 1
    joined = c.post("/portal/voluntary", headers=SITE, follow_redirects=False, data={
        "income": "5000000", "support_group": "other", "province_code": "01",
        "from_month": typed.format(m=now.month, y=now.year)})
    assert joined.status_code == 303, joined.text
    assert _newcomers_period(portal[1]).from_month == now.index


def _newcomers_period(engine: Engine) -> Any:
    """The voluntary period NEWCOMER joined."""
    periods, persons = metadata.tables["si_periods"], metadata.tables["persons"]
    with unit_of_work(engine) as s:
        return s.execute(select(periods).join(
            persons, persons.c.person_id == periods.c.person_id).where(
            persons.c.personal_id == NEWCOMER)).one()


@pytest.mark.parametrize("typed", ["5.000.000", "5 000 000", "5\u00a0000\u00a0000", " 5000000 "])
def test_the_join_forms_income_is_read_as_the_pages_write_amounts(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]], typed: str) -> None:
    """The pages write 5.000.000 ₫ (Vietnamese groups thousands with dots): typed so, or
    grouped by spaces, the income was refused as "digits only"."""
    joined = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE, data={
        "income": typed, "support_group": "other", "province_code": "01"},
        follow_redirects=False)
    assert joined.status_code == 303, joined.text
    assert _newcomers_period(portal[1]).salary_basis == 5_000_000


def test_a_refusal_of_the_rules_stays_beside_its_field(client: TestClient) -> None:
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE,
                                            data={"income": "500", "support_group": "other"})
    assert page.status_code == 422
    beside = _beside(page.text, "income")
    assert beside is not None and "rural poverty line" in beside


@pytest.mark.parametrize(("form", "field", "says"), [
    ({"income": "500"}, "income", "Mức thu nhập tháng {now} phải từ {floor} (chuẩn nghèo nông "
     "thôn) đến {cap} (20 lần mức tham chiếu {reference}). / voluntary SI income must be"),
    ({"income": "5000000", "from_month": "2020-01"}, "from_month",
     "Tháng bắt đầu phải từ tháng này, {now}, đến chậm nhất {last}. / voluntary SI starts"),
])
def test_a_refusal_of_the_rules_says_its_range_in_vietnamese_first(
        client: TestClient, form: dict[str, str], field: str, says: str) -> None:
    """The law's range in the citizen's language and numbers, then the rules' English: the
    form said only "voluntary SI income must be between the rural poverty line 1,500,000 ..."."""
    now = Period.of(date.today())
    cap = law.book().si_hi_cap(now)
    said = says.format(now=web.month(str(now)), last=web.month(str(now + 12)),
                       floor=web.vnd(int(law.parameter("rural_poverty_line", now).value)),
                       cap=web.vnd(cap.amount), reference=web.vnd(cap.base))
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE, data={
        "support_group": "other", "province_code": "01", **form})
    assert page.status_code == 422
    beside = _beside(page.text, field)
    assert beside is not None and beside.startswith(html.escape(said)), beside


def test_a_join_without_a_province_is_refused_in_vietnamese_first(client: TestClient) -> None:
    """The province left unchosen, the rest right: the refusal beside it was the registry's
    English alone ("say which province you live in: ..."), on a form in Vietnamese."""
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE, data={
        "income": "5000000", "support_group": "other"})
    assert page.status_code == 422
    beside = _beside(page.text, "province_code")
    assert beside is not None and beside.startswith(
        "Chọn tỉnh, thành phố nơi bạn cư trú: cơ quan BHXH ở đó quản lý việc đóng BHXH tự "
        "nguyện của bạn. / say which province you live in"), beside


@pytest.mark.parametrize("typed", ["13/2026", "01/2020"])
def test_a_join_with_a_bad_month_and_no_province_is_refused_for_both_at_once(
        client: TestClient, typed: str) -> None:
    """A month the form refuses (13/2026) or the rules do (a past one), and no province: only
    the month was said, the province on the next try; each problem comes the first time."""
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE, data={
        "income": "5000000", "support_group": "other", "from_month": typed})
    assert page.status_code == 422
    assert _beside(page.text, "from_month") is not None, page.text
    beside = _beside(page.text, "province_code")
    assert beside is not None and beside.startswith(
        "Chọn tỉnh, thành phố nơi bạn cư trú"), page.text


def test_a_citizen_without_a_book_sees_an_empty_access_log(client: TestClient) -> None:
    page = signed_in(client, NEWCOMER).get("/portal/access-log")
    assert page.status_code == 200
    assert "Nobody has looked yet" in page.text


def test_a_citizen_without_a_book_sees_no_visit(client: TestClient) -> None:
    page = signed_in(client, NEWCOMER).get("/portal/visits")
    assert page.status_code == 200
    assert "No HI visit on record" in page.text


def test_many_visits_are_shown_a_page_at_a_time_latest_first(client: TestClient) -> None:
    first = signed_in(client, OWN).get("/portal/visits")
    assert first.status_code == 200
    assert first.text.count('<td class="month">') == 2 * 50
    assert "51 lượt / visits" in _as_read(first.text) and "20/02/2026 08:00" in first.text
    assert 'href="/portal/visits?page=2"' in first.text
    second = client.get("/portal/visits?page=2")
    assert second.text.count('<td class="month">') == 2
    assert "01/01/2026 08:00" in second.text and 'href="/portal/visits?page=1"' in second.text
    assert client.get("/portal/visits?page=x%00").text == first.text
    past = client.get("/portal/visits?page=9").text  # past the last: led to the first, only
    assert "No visit on this page" in past and 'href="/portal/visits" rel="first"' in past
    assert "/portal/visits?page=8" not in past  # not to another empty page


def test_a_visits_kind_is_said_in_both_languages(client: TestClient) -> None:
    """The kind column read "Khám bệnh" alone, where every other cell of the page says its
    English too; each kind the code list has, has its English."""
    page = signed_in(client, OWN).get("/portal/visits").text
    assert '<td>Khám bệnh <span class="en" lang="en">/ examination</span></td>' in page
    assert set(web.VISIT_TYPE_EN) == set(VISIT_TYPES)


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/portal/"), ("GET", "/portal/book"), ("GET", "/portal/access-log"),
    ("POST", "/portal/book.pdf"), ("GET", "/portal/visits")])
def test_the_pages_run_no_script_and_load_nothing_from_elsewhere(client: TestClient,
                                                                method: str, url: str) -> None:
    page = signed_in(client, OWN).request(method, url, headers=SITE, follow_redirects=False)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "img-src data:", "form-action 'self'",
                      "frame-ancestors 'none'"):
        assert directive in policy
    assert "script-src" not in policy  # default-src 'none' refuses every script


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/portal/book", 200), ("GET", "/portal/visits", 200),
    ("GET", "/portal/visits?page=2", 200), ("GET", "/portal/access-log", 200),
    ("POST", "/portal/book.pdf", 200), ("POST", "/portal/book", 303),
    ("POST", "/portal/sign-out", 303), ("GET", "/portal/nope", 404),
    ("GET", "/portal/voluntary", 405)])
def test_no_page_of_personal_data_is_kept_by_the_browser(
        client: TestClient, method: str, url: str, status: int) -> None:
    """no-store on every answer a signed-in citizen gets, the PDF, the redirects after a form
    and the refusal pages with their menu too: a kept copy is what the back button shows on a
    shared computer after signing out."""
    answer = signed_in(client, OWN).request(method, url, headers=SITE, follow_redirects=False)
    assert answer.status_code == status
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_book_page_shows_the_months_the_employer_paid_late(
        portal: tuple[FastAPI, Engine, dict[str, int]], client: TestClient) -> None:
    """FACTS §3.7 (Decision 241/QD-BTC): beside the arrears, the months the employer paid
    after their deadline or has not paid past it."""
    before = signed_in(client, OWN).get("/portal/book").text  # nothing assessed: none late
    assert re.search(r'id="employer-late">.*?</h2>\s*<p>Không có.', before, re.S)
    _, engine, ids = portal
    _unit_a_pays_february_late_and_march_not(engine)
    reads = _book_reads(engine, ids[OWN])
    page = signed_in(client, OWN).get("/portal/book")
    assert page.status_code == 200
    assert _book_reads(engine, ids[OWN]) == reads + 1  # still one logged read a view
    section = _as_read(page.text).split('id="employer-late">')[1].split("<h2")[0]
    assert "<p>2&nbsp;tháng" in section and 'role="region"' in section
    rows = re.findall(r'<td class="month">([^<]*)</td><td>[^<]*</td>\s*'
                      r'<td class="num">(\d+)</td>\s*<td>([^<]*)</td>', section)
    assert [(m, status) for m, _, status in rows] == [
        ("02/2026", "đã đóng / paid"), ("03/2026", "chưa đóng đủ / still unpaid")]
    assert rows[0][1] == "10" and int(rows[1][1]) > 0  # March's days run to today


def test_the_book_pages_employer_tables_name_the_employer_with_its_code(
        portal: tuple[FastAPI, Engine, dict[str, int]], client: TestClient) -> None:
    """A citizen knows their employer by name, not by its tax code: the late months' and the
    arrears' tables name it as the career table does, its code beside it, within the page's
    one logged read of the citizen's own book."""
    _, engine, ids = portal
    _unit_a_pays_february_late_and_march_not(engine)
    reads = _book_reads(engine, ids[OWN])
    page = signed_in(client, OWN).get("/portal/book").text
    assert _book_reads(engine, ids[OWN]) == reads + 1
    named = f"Công ty A ({UNIT_A})"
    late = page.split('id="employer-late">')[1].split("<h2")[0]
    arrears = page.split("/ Months your employer deducted")[1].split("<h2")[0]
    employer_cell = r'<td class="month">([^<]*)</td><td>([^<]*)</td>'
    assert re.findall(employer_cell, late) == [("02/2026", named), ("03/2026", named)]
    assert re.findall(employer_cell, arrears) == [("03/2026", named)]
    # The contribution sheets' rows too, before the job (they named it alone).
    sheets = page.split('aria-label="Tờ rời / Contribution sheets"')[1].split("</table>")[0]
    employers = re.findall(r'<td class="num">\d+</td>\s*<td>([^<,]*)', sheets)
    assert employers and set(employers) == {named}, employers


def test_the_contribution_sheets_show_the_allowances_the_shares_were_reckoned_on(
        portal: tuple[FastAPI, Engine, dict[str, int]], client: TestClient) -> None:
    """A worker paid 10,000,000 and 1,500,000 of allowances pays on 11,500,000 (the basis
    ``ledger show`` answers): the page's one "salary basis" column showed 10,000,000 beside
    shares reckoned on 11,500,000, so its figures did not add up. It shows the salary and the
    allowances, as the signed PDF does."""
    _, engine, ids = portal
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        s.execute(update(periods).where(periods.c.person_id == ids[OWN],
                                        periods.c.kind == "compulsory").values(
            allowances=1_500_000))
    page = signed_in(client, OWN).get("/portal/book").text
    sheets = page.split('aria-label="Tờ rời / Contribution sheets"')[1].split("</table>")[0]
    heads = [_as_read(h) for h in re.findall(r'<th scope="col">(.*?)</th>', sheets, re.S)]
    assert heads[4:6] == ["Tiền lương / Salary", "Phụ cấp / Allowances"], heads
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", sheets, re.S) if "01/2020" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[4:6] == ["10.000.000\u00a0₫", "1.500.000\u00a0₫"], cells


def test_the_book_page_names_the_nationality_in_both_languages(client: TestClient) -> None:
    """The nationality read "Việt Nam" alone where sex reads "Nam / Male"."""
    page = signed_in(client, OWN).get("/portal/book").text
    assert re.search(r'<dt>Quốc tịch .*?</dt><dd>Việt Nam <span class="en" lang="en">/ Viet '
                     r'Nam</span></dd>', page), page


@pytest.mark.parametrize(("code", "shown"), [
    ("VN", 'Việt Nam <span class="en" lang="en">/ Viet Nam</span>'),
    ("DE", 'Đức <span class="en" lang="en">/ Germany</span>'),
    ("AD", "Andorra"),  # one name in both languages, said once and not marked as English
    ("X1", "X1")])  # no code: as recorded, never a failure to show the page
def test_a_nationality_is_shown_by_its_names(code: str, shown: str) -> None:
    assert str(web.nationality(code)) == shown


def _unit_a_pays_february_late_and_march_not(engine: Engine) -> None:
    """Unit A, OWN's employer, pays January in time, February (deadline 03-31) on 04-10,
    March (deadline 04-30) not at all."""
    with unit_of_work(engine) as s:
        conn = s.connection()
        unit = registry.employer_by_code(session=s, code=UNIT_A).employer_id
        ledger.post(conn, ledger.assess(conn, [Period(2026, m) for m in (1, 2, 3)], [unit]), None)
        due = ledger.dues_by_month(conn, unit)
    for n, (month, day) in enumerate(((1, date(2026, 2, 20)), (2, date(2026, 4, 10)))):
        with unit_of_work(engine) as s:
            post_payment(session=s, employer_code=UNIT_A, amount=due[Period(2026, month).index],
                         bank_reference=f"VCB-LATE-{n}", paid_on=day, today=date(2026, 11, 1))


def _book_reads(engine: Engine, person_id: int) -> int:
    t = metadata.tables["access_log"]
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(t)
                            .where(t.c.person_id == person_id)) or 0)


def _versions(engine: Engine, person_id: int) -> int:
    """How many versions of the person's book are recorded."""
    t = metadata.tables["book_versions"]
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(t)
                            .where(t.c.person_id == person_id)) or 0)


def test_opening_a_changed_book_twice_records_no_version(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A GET (a link or a prefetch from any site) writes no version: the page shows the book as
    it stands, unsigned until the citizen issues it."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:  # version 1, signed for the citizen before
        books.current_version(session=s, person_id=ids[OWN], as_of=date.today())
    persons = metadata.tables["persons"]
    with unit_of_work(engine) as s:  # the facts change after version 1 was signed
        s.execute(update(persons).where(persons.c.person_id == ids[OWN])
                  .values(full_name="Nguyễn Văn Mới"))
    c = signed_in(client, OWN)
    opened = [c.get("/portal/book") for _ in range(2)]
    assert _versions(engine, ids[OWN]) == 1
    for page in opened:
        assert page.status_code == 200
        assert "Nguyễn Văn Mới" in page.text and 'id="unsigned"' in page.text
        assert "signed QR code" not in page.text  # version 1's QR would say the old name
        # Its header says version 1 exists, not "not signed yet" as if it never was signed.
        assert "đã thay đổi từ phiên bản 1, chưa ký" in _as_read(page.text)
        assert "<dd>chưa ký" not in page.text


def test_issuing_the_book_records_its_version_once_and_shows_what_it_signs(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    _, engine, ids = portal
    c = signed_in(client, OWN)
    never = c.get("/portal/book").text
    assert 'id="unsigned"' in never and "<dd>chưa ký <span" in never and "phiên bản 1" not in never
    issued = c.post("/portal/book", headers=SITE)  # and back to the page
    assert issued.status_code == 200 and issued.url.path == "/portal/book"
    assert 'id="unsigned"' not in issued.text
    assert "signed QR code" in issued.text and "Health insurance card" in issued.text
    assert 'action="/portal/book.pdf"' in issued.text
    assert c.post("/portal/book", headers=SITE).status_code == 200  # unchanged: no new one
    assert _versions(engine, ids[OWN]) == 1


@pytest.mark.parametrize("url", ["/portal/book", "/portal/book.pdf"])
def test_signing_the_book_from_another_site_records_nothing(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]], url: str) -> None:
    _, engine, ids = portal
    page = signed_in(client, OWN).post(url, headers={"Origin": "https://elsewhere.example"})
    assert page.status_code == 403
    assert "Lý do: biểu mẫu được gửi từ trang web khác nên bị từ chối." in page.text
    assert _versions(engine, ids[OWN]) == 0


def test_the_signed_pdf_is_posted_for_never_opened_by_a_link(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    _, engine, ids = portal
    c = signed_in(client, OWN)
    opened = c.get("/portal/book.pdf")
    assert opened.status_code == 405 and opened.headers["Allow"] == "POST"
    assert _versions(engine, ids[OWN]) == 0
    pdf = c.post("/portal/book.pdf", headers=SITE)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert _versions(engine, ids[OWN]) == 1


def test_a_refusal_page_has_the_same_policy(client: TestClient) -> None:
    c = signed_in(client, OWN)
    c.cookies.set("sibook_session", bearer(Citizen(OWN, 1))["Authorization"][7:],
                  path="/portal")
    page = c.get("/portal/book")
    assert page.status_code == 403
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_refused_join_leaves_nothing_behind_and_the_form_stays(client: TestClient) -> None:
    """All or nothing, as at the API: a refusal registers nobody, so the citizen is not left
    with an empty book and no way back to the form."""
    c = signed_in(client, NEWCOMER)
    assert c.post("/portal/voluntary", headers=SITE,
                  data={"income": "500", "support_group": "other"}).status_code == 422
    again = c.get("/portal/book")
    assert again.status_code == 200 and "You have no e-SI book yet" in again.text
    joined = c.post("/portal/voluntary", headers=SITE, follow_redirects=False,
                    data={"income": "5000000", "support_group": "other",
                          "province_code": "01"})
    assert joined.status_code == 303
    assert "You have no e-SI book yet" not in c.get("/portal/book").text
    again = c.post("/portal/voluntary", headers=SITE, follow_redirects=False, data={
        "income": "5000000", "support_group": "other", "province_code": "01"})
    assert again.status_code == 303  # the form sent twice: joined once, the book shown again
    other = c.post("/portal/voluntary", headers=SITE, data={
        "income": "6000000", "support_group": "other", "province_code": "01"})
    assert other.status_code == 409  # joined before on another income: in the citizen's words
    assert "Bạn đã có sổ BHXH nên không cần đăng ký tham gia lại." in other.text
    assert "voluntary.income" not in other.text and "registered with" not in other.text
    later = c.post("/portal/voluntary", headers=SITE, data={
        "income": "5000000", "support_group": "other", "province_code": "01",
        "from_month": str(Period.of(date.today()) + 1)})
    assert later.status_code == 422  # joining again later: said in the citizen's words
    assert "Bạn đã có sổ BHXH nên không cần đăng ký tham gia lại." in later.text
    assert "already participates" not in later.text
    _refused_with_their_book(later.text)


def _refused_with_their_book(page: str) -> None:
    """A join refused to someone who has a book: said on the refusal page, which leads to the
    book, not on the join form headed "you have no e-SI book yet" under which it stood."""
    assert "You have no e-SI book yet" not in page and 'action="/portal/voluntary"' not in page
    assert '<a href="/portal/book">Về sổ của tôi' in page


def test_a_pensioners_join_is_refused_in_the_citizens_words(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A settled pension bars voluntary SI (Law 41/2024 Art 2(4)(a)): the page says so, not
    that they are registered already. Written as a settlement records it (his age and years
    are not this test's)."""
    _app, engine, ids = portal
    claims, decisions = metadata.tables["benefit_claims"], metadata.tables["benefit_decisions"]
    with unit_of_work(engine) as s:
        s.execute(insert(claims).values(
            person_id=ids[OWN], claim_no=9, regime="pension", dossier_no="HS-HT-9",
            dossier_key="HS-HT-9", received_on=date(2025, 8, 1), event_from=date(2025, 9, 1),
            recorded_by="clerk"))
        s.execute(insert(decisions).values(
            person_id=ids[OWN], claim_no=9, outcome="settled", decided_on=date(2025, 8, 20),
            decision_no="9/QĐ", monthly_amount=5_000_000,
            from_month=Period(2025, 9).index, months_settled=0, recorded_by="approver"))
    page = signed_in(client, OWN).post("/portal/voluntary", headers=SITE, data={
        "income": "5000000", "support_group": "other", "province_code": "01"})
    assert page.status_code == 422
    assert "Người đang hưởng lương hưu không tham gia BHXH tự nguyện" in page.text
    assert "Bạn đã có sổ BHXH" not in page.text
    _refused_with_their_book(page.text)


def test_the_book_page_shows_a_benefit_estimate(client: TestClient) -> None:
    page = signed_in(client, OWN).get("/portal/book")
    assert page.status_code == 200
    assert "Ước tính chế độ" in page.text and "BHXH một lần" in page.text
    assert "Thời điểm nghỉ hưu" in page.text and "Retirement age and" not in page.text
    assert re.search(r"\d\u00a0₫", page.text) and "₫ ₫" not in page.text  # the filter's ₫
    # Which rule took the average, in both languages: an enterprise's pay, the whole period.
    assert "Bình quân tiền lương của toàn bộ thời gian đóng" in page.text
    assert "Average of the whole period: pay the employer set" in page.text


def test_a_child_who_never_paid_si_is_told_there_is_nothing_to_estimate_yet(
        portal: tuple[FastAPI, Engine, dict[str, int]], client: TestClient) -> None:
    """A child on a household's HI read "Hưởng lương hưu cần ... 15 năm; sổ mới có 0 năm 0
    tháng" under a retirement date in 2079: said instead as no history, in both languages."""
    child = make_personal_id("001", date(2019, 4, 1), "female", 31)
    with unit_of_work(portal[1]) as s:
        registry_service.register_person(session=s, person=NewPerson(
            personal_id=child, full_name="Bé Na", birth_date=date(2019, 4, 1), sex="female",
            birth_registration_place="001", realm="civil"))
    page = signed_in(client, child).get("/portal/book")
    estimate = re.search(r'<h2 id="estimate">.*?</h2>\s*<p id="no-estimate">(.*?)</p>\s*<h2',
                         page.text, re.S)
    assert page.status_code == 200 and estimate is not None
    assert " ".join(_as_read(estimate.group(1)).split()) == (
        "Chưa có quá trình đóng BHXH nên chưa có ước tính chế độ. There is no SI contribution "
        "history yet, so there is no benefit estimate.")
    # One who has paid keeps the estimate, its reason included.
    paid = signed_in(client, OWN).get("/portal/book").text
    assert "no-estimate" not in paid and "Lương hưu theo số tháng đã đóng" in paid


def test_a_population_service_failure_is_said_in_plain_words_and_logged(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Joining asks the population service, which cannot be reached: the citizen reads that,
    not what the HTTP client said (an address, an errno); the operator finds it in the log."""
    monkeypatch.setenv("SIBOOK_POPULATION_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger="sibook.portal.web"):
            page = signed_in(client, NEWCOMER).post(
                "/portal/voluntary", headers=SITE,
                data={"income": "5000000", "support_group": "other",
                          "province_code": "01"})
    finally:
        get_settings.cache_clear()
    assert page.status_code == 503
    for detail in ("127.0.0.1", "unreachable", "Errno", "Connection refused"):
        assert detail not in page.text
    assert "National Population Database cannot be reached" in page.text
    assert page.headers["Retry-After"] == "60"
    assert "population service unreachable" in caplog.text  # the detail, for the operator


def test_a_form_from_another_site_is_refused_for_what_it_is(client: TestClient) -> None:
    """Only the policy's level-1 refusal tells to sign in at level 2: a level-2 citizen whose
    form came from another site is told the request was refused, not that."""
    page = signed_in(client, NEWCOMER).post(
        "/portal/voluntary", headers={"Origin": "https://elsewhere.example"},
        data={"income": "5000000", "support_group": "other",
                          "province_code": "01"})
    assert page.status_code == 403
    assert "biểu mẫu được gửi từ trang web khác" in page.text
    # The reason in both languages, its English the policy's words, marked as English.
    assert '<span class="en" lang="en">/ a form posted from another site is refused' in page.text
    assert "level-2" not in page.text
    c = signed_in(client, OWN)
    c.cookies.set("sibook_session", bearer(Citizen(OWN, 1))["Authorization"][7:],
                  path="/portal")
    assert "signed in with a level-2 e-identity" in c.get("/portal/book").text


def _officer_reads(engine: Engine, person_id: int, cases: range) -> None:
    with unit_of_work(engine) as s:
        audit.append_many(session=s, accesses=[audit.Access(
            actor_kind="officer", actor_id="hn-clerk", action="book.read",
            route="GET /api/v1/books/{personal_id}", purpose=f"case {n}",
            person_id=person_id) for n in cases])


def test_a_long_access_log_is_shown_a_page_at_a_time_without_gaps_or_repeats(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """Each page's own read is logged (a newer entry) as the citizen pages back: the next page
    starts below the last entry shown, so nothing is shown twice or skipped."""
    _, engine, ids = portal
    _officer_reads(engine, ids[OWN], range(450))
    c = signed_in(client, OWN)
    shown: list[int] = []
    url: str | None = "/portal/access-log"
    while url is not None:
        page = c.get(url)
        assert page.status_code == 200
        assert page.text.count("<tr>") <= pages.LOG_SHOWN + 1  # the header's row and a page
        shown += [int(n) for n in re.findall(r"<td>case (\d+)</td>", page.text)]
        older = re.search(r'href="(/portal/access-log\?before=\d+)"', page.text)
        url = older.group(1) if older else None
    assert shown == list(range(449, -1, -1))  # newest first, each once
    assert 'href="/portal/access-log" rel="first"' in page.text  # back to the newest


def test_the_api_pages_the_access_log_by_its_last_entry(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    _, engine, ids = portal
    _officer_reads(engine, ids[OWN], range(250))
    auth = bearer(Citizen(OWN, 2))
    first = client.get("/api/v1/me/access-log?limit=100", headers=auth).json()
    _officer_reads(engine, ids[OWN], range(250, 260))  # read meanwhile: newer, on no later page
    second = client.get(f"/api/v1/me/access-log?limit=100&before={first['next_before']}",
                        headers=auth).json()
    third = client.get(f"/api/v1/me/access-log?limit=100&before={second['next_before']}",
                       headers=auth).json()
    assert third["next_before"] is None
    cases = [e["purpose"] for answer in (first, second, third) for e in answer["entries"]
             if e["purpose"].startswith("case ")]
    assert cases == [f"case {n}" for n in range(249, -1, -1)]


def test_a_listing_of_many_persons_is_shown_to_each_as_a_read_of_them_alone(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A listing is one entry of the log naming every person it showed; each person sees it
    as they see a read of their record alone, and sees no one else it named."""
    officer = bearer(Officer("auditor", "civil", None, frozenset({"auditor"})))
    assert client.get("/api/v1/persons", headers=officer).status_code == 200
    assert client.get(f"/api/v1/persons/{OWN}", headers=officer).status_code == 200
    seen = {}
    for personal_id in (OWN, OTHER):
        answer = client.get("/api/v1/me/access-log", headers=bearer(Citizen(personal_id, 2)))
        assert answer.status_code == 200
        seen[personal_id] = [e for e in answer.json()["entries"] if e["actor"] == "auditor"]
    listed, read = seen[OWN][1], seen[OWN][0]
    assert (listed["action"], read["action"]) == ("person.list", "person.read")
    assert listed.keys() == read.keys() and seen[OTHER] == [listed]
    assert OTHER not in str(seen[OWN]) and OWN not in str(seen[OTHER])
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        (one,), (same,) = ([e.seq for e in audit.entries_for_person(session=s, person_id=ids[p])
                            if e.action == "person.list"] for p in (OWN, OTHER))
        assert one == same and chain.verify(session=s).intact


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/portal/nope", 404), ("GET", "/portal/voluntary", 405),
    ("GET", "/portal/sign-out", 405)])
def test_an_address_with_no_page_answers_with_a_page(client: TestClient, method: str, url: str,
                                                     status: int) -> None:
    """The join form's address opened again, a mistyped link: the portal's page, not JSON."""
    page = signed_in(client, OWN).request(method, url)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "/portal/book" in page.text  # the menu: a way back
    if status == 405:
        assert page.headers["Allow"] == "POST"


SIGNED_IN_MENU = ('action="/portal/sign-out"', 'href="/portal/access-log"',
                  'href="/portal/visits"')


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/portal/nope", 404), ("GET", "/portal/voluntary", 405),
    ("POST", "/portal/sign-out", 403)])
@pytest.mark.parametrize("cookie", [None, "not-a-token", "expired"])
def test_a_refusal_shows_a_visitor_who_is_not_signed_in_no_signed_in_menu(
        client: TestClient, method: str, url: str, status: int, cookie: str | None) -> None:
    if cookie == "expired":
        cookie = tokens.issue({"sub": OWN, "kind": "citizen", "personal_id": OWN, "level": 2},
                              ttl=-3600)
    if cookie is not None:
        client.cookies.set("sibook_session", cookie, path="/portal")
    page = client.request(method, url, headers={"Origin": "https://elsewhere.example"})
    assert page.status_code == status
    for link in SIGNED_IN_MENU:
        assert link not in page.text
    assert 'href="/portal/">Đăng nhập <span class="en" lang="en">/ Sign in</span>' in page.text


def test_a_refusal_shows_a_signed_in_citizen_their_menu(client: TestClient) -> None:
    page = signed_in(client, OWN).post("/portal/sign-out",
                                       headers={"Origin": "https://elsewhere.example"})
    assert page.status_code == 403
    for link in SIGNED_IN_MENU:
        assert link in page.text


def test_a_signed_in_citizen_at_a_mistyped_address_is_led_back_to_their_book(
        client: TestClient) -> None:
    """Not asked to sign in again: the session is good, only the address was wrong."""
    page = signed_in(client, OWN).get("/portal/boook")
    assert page.status_code == 404
    # Said as a page that does not exist, not as data withheld from them.
    assert "<h1>Không có trang này" in page.text and "not available to you" not in page.text
    assert ('href="/portal/book">Về sổ của tôi <span class="en" lang="en">/ Back to my book'
            in page.text)
    assert "Sign in again" not in page.text


@pytest.mark.parametrize(("url", "page"), [
    ("/portal/book/", "/portal/book"), ("/portal/visits/?page=2", "/portal/visits?page=2"),
    ("/portal/access-log//", "/portal/access-log")])
def test_a_page_typed_with_a_trailing_slash_is_led_to_the_page(client: TestClient, url: str,
                                                               page: str) -> None:
    """A link or bookmark ending in a slash: sent to the page, its query kept, not a 404."""
    c = signed_in(client, OWN)
    r = c.get(url, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (308, page)
    assert c.get(url).status_code == 200


@pytest.mark.parametrize(("query", "kept"), [
    ("ho_ten=Nguyễn Văn Ả".encode(), "ho_ten=Nguy%E1%BB%85n%20V%C4%83n%20%E1%BA%A2"),
    (b"page=2&q=%E1%BB%85", "page=2&q=%E1%BB%85"),  # a browser's, escaped already: as sent
    (b"page=2#x=//evil.example", "page=2%23x=//evil.example"),
    (b"next=https://evil.example/&a=\\\\evil", "next=https://evil.example/&a=%5C%5Cevil")])
def test_a_trailing_slashs_redirect_keeps_a_vietnamese_query_as_sent(
        portal: tuple[FastAPI, Engine, dict[str, int]], query: bytes, kept: str) -> None:
    """The query was read as Latin-1 and escaped again as UTF-8: "Nguyễn" came back as
    "Nguy%C3%A1%C2%BB%C2%85n", which the page reads as "Nguyá»\\x85n". Its bytes are escaped
    once now, and the Location is still this server's page, whatever the query holds."""
    status, headers, _ = raw_get(portal[0], "/portal/visits/", query)
    assert (status, headers[b"location"].decode()) == (308, f"/portal/visits?{kept}")


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "http://testserver//evil.example/"), ("GET", "http://testserver/portal//evil.example/"),
    ("GET", "/portal/nope/"), ("POST", "/portal/sign-out/"), ("GET", "/api/v1/trust-list/")])
def test_a_trailing_slash_leads_nowhere_but_to_a_page_of_the_portal(
        client: TestClient, method: str, url: str) -> None:
    r = signed_in(client, OWN).request(method, url, headers=SITE, follow_redirects=False)
    assert r.status_code == 404 and "location" not in r.headers


def test_a_level_1_sign_in_is_asked_to_sign_in_again(client: TestClient) -> None:
    client.cookies.set("sibook_session", bearer(Citizen(OWN, 1))["Authorization"].removeprefix(
        "Bearer "), path="/portal")
    page = client.get("/portal/book")
    assert page.status_code == 403 and "level-2 e-identity" in page.text
    assert 'href="/portal/">Đăng nhập lại <span class="en" lang="en">/ Sign in again' in page.text
    # Why, in both languages as the notice above it (its English was left out).
    assert ('<p>Lý do: cần đăng nhập bằng định danh điện tử mức 2 (VNeID mức 2). <span class="en" '
            'lang="en">/ this needs a level-2 e-identity (VNeID level 2)</span></p>') in page.text


def test_the_api_still_answers_json_for_an_unknown_path(client: TestClient) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "path"


def test_sign_out_ends_the_session_and_a_copy_of_its_cookie(client: TestClient) -> None:
    c = signed_in(client, OWN)
    token = c.cookies.get("sibook_session")
    assert token and c.get("/portal/book").status_code == 200
    gone = c.post("/portal/sign-out", headers=SITE, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/portal/?signed_out=1"
    said = c.get(gone.headers["location"])  # that it worked: the sign-in page alone left doubt
    assert '<p class="notice" role="status" id="signed-out">Bạn đã đăng xuất.' in said.text
    assert 'sibook_session=""' in gone.headers["set-cookie"]
    assert "Path=/portal" in gone.headers["set-cookie"]
    c.cookies.set("sibook_session", token, path="/portal")  # a copy kept: refused all the same
    again = c.get("/portal/book", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/portal/?expired=1"


def test_a_sign_out_from_another_site_is_refused_with_a_page(client: TestClient) -> None:
    c = signed_in(client, OWN)
    refused = c.post("/portal/sign-out", headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Lý do: yêu cầu đăng xuất được gửi từ trang web khác" in refused.text
    assert "default-src 'none'" in refused.headers["Content-Security-Policy"]
    assert c.get("/portal/book").status_code == 200  # still signed in


def test_a_form_posted_at_the_portals_public_address_is_its_own_behind_a_proxy(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a reverse proxy that names the server by its own address (nginx's default Host,
    $proxy_host), every form of the portal, at https://sobhxh.example.gov.vn, was refused as
    posted from another site: its Origin was compared with the Host alone. The address
    SIBOOK_PUBLIC_URL names is the portal's own; any other still is not."""
    monkeypatch.setenv("SIBOOK_PUBLIC_URL", "https://sobhxh.example.gov.vn")
    get_settings.cache_clear()
    try:
        c = signed_in(client, OWN)
        proxied = {"Host": "127.0.0.1:8000"}
        elsewhere = c.post("/portal/sign-out", headers={
            **proxied, "Origin": "https://elsewhere.example"}, follow_redirects=False)
        assert elsewhere.status_code == 403
        own = c.post("/portal/sign-out", headers={
            **proxied, "Origin": "https://sobhxh.example.gov.vn"}, follow_redirects=False)
        assert own.status_code == 303, own.text
    finally:
        get_settings.cache_clear()


def test_a_portal_sign_in_that_fails_goes_back_to_the_sign_in_page(client: TestClient) -> None:
    """Cancelled at the provider, or a stale answer: the sign-in page says so, not the API's
    JSON 401 in the citizen's browser. A sign-in started without the portal keeps its 401."""
    s = get_access_settings()
    for next_, expected in (("/portal/book", 303), (None, 401)):
        pending = tokens.issue({"state": "the-state", "nonce": "n", "verifier": "v",
                                "next": next_}, s, audience=oidc_client.LOGIN_AUDIENCE,
                               ttl=oidc_client.LOGIN_TTL)
        client.cookies.set(oidc_client.COOKIE, pending, path=oidc_client.COOKIE_PATH)
        r = client.get("/api/v1/auth/callback?code=abc&state=not-the-state",
                       follow_redirects=False)
        assert r.status_code == expected, r.text
    client.cookies.set(oidc_client.COOKIE, tokens.issue(
        {"state": "st", "nonce": "n", "verifier": "v", "next": "/portal/book"}, s,
        audience=oidc_client.LOGIN_AUDIENCE, ttl=oidc_client.LOGIN_TTL),
        path=oidc_client.COOKIE_PATH)
    back = client.get("/api/v1/auth/callback?state=st")  # no code: cancelled
    assert back.status_code == 200 and back.url.path == "/portal/", back.text
    assert "Signing in did not complete" in back.text
    assert "sibook_session" not in client.cookies


def test_an_address_edited_by_hand_is_a_page_not_the_apis_json(client: TestClient) -> None:
    page = client.get("/portal/?expired=maybe")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "not valid" in page.text and "bool_parsing" not in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_what_the_pages_show_is_escaped(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A name, a facility's diagnosis text, an officer's stated purpose: shown as text."""
    _, engine, ids = portal
    evil = '<img src=x onerror="alert(1)">'
    with unit_of_work(engine) as s:
        s.execute(update(metadata.tables["persons"]).where(
            metadata.tables["persons"].c.person_id == ids[OWN]).values(full_name=evil))
        audit.append_many(session=s, accesses=[audit.Access(
            actor_kind="officer", actor_id=evil, action="book.read", route=evil, purpose=evil,
            person_id=ids[OWN])])
    c = signed_in(client, OWN)
    for url in ("/portal/book", "/portal/access-log"):
        page = c.get(url)
        assert page.status_code == 200, page.text
        assert evil not in page.text and "&lt;img src=x onerror=" in page.text, url
    form = c.post("/portal/voluntary", headers=SITE, data={"income": f'1"{evil}'})
    assert evil not in form.text


def test_the_book_writes_dates_and_months_as_its_signed_pdf_does(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """Day/month/year, as Vietnamese write them and as the signed PDF and the HI card print
    them: the page wrote the birth date 1990-06-15 above a card that read 15/06/1990."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        book = books.assemble_person(session=s, person_id=ids[OWN], as_of=date.today())
    text = signed_in(client, OWN).get("/portal/book").text
    born, first = book["header"]["birth_date"], book["sheets"][0]["from"]
    assert f"{date.fromisoformat(born):%d/%m/%Y}" in text and born not in text
    assert f">{first[5:]}/{first[:4]}<" in text and f">{first}<" not in text


def test_the_access_log_reads_in_vietnam_time(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The citizen's clock (UTC+7, as the visits page's): a read at 20:00 UTC was shown as
    that day's 20:00 UTC, while it was 03:00 the next morning in Vietnam."""
    _, engine, ids = portal
    c = signed_in(client, OWN)
    c.get("/portal/book")
    log = metadata.tables["access_log"]
    with unit_of_work(engine) as s:
        at = s.scalar(select(log.c.at).where(log.c.person_id == ids[OWN])
                      .order_by(log.c.seq.desc()).limit(1))
    assert at is not None
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)) + timedelta(hours=7)
    text = c.get("/portal/access-log").text
    assert f"{local:%d/%m/%Y %H:%M:%S}" in text and "UTC<" not in text


def test_every_figure_of_the_book_says_its_unit_and_keeps_it(client: TestClient) -> None:
    """Months say months; an amount's ₫ is bound to its digits by a no-break space (a narrow
    column put it alone on the next line), and so is a count's unit: a phone showed the
    totals' "(256" above "months)" and "0" above "tháng"."""
    text = signed_in(client, OWN).get("/portal/book").text
    assert re.search(r'id="unpaid-months">\d+&nbsp;tháng <span class="en" lang="en">/ months',
                     text)
    assert re.search(r"\d\u00a0₫", text) and not re.search(r"\d ₫", text)
    totals = text[text.index("Tổng hợp"):text.index('<h2 id="estimate">')]
    read = html.unescape(_as_read(totals))
    assert re.search(r"\d\u00a0months\)", read)
    assert not re.search(r"\d\s+(năm|tháng|years?|months?)\b", read.replace("\u00a0", "~"))


def test_one_year_and_one_month_read_so_in_english(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A newcomer joins, and 13 voluntary months from 2008-01, before voluntary SI's tables
    (2010-01), are on record: the page read "1 years 1 months (13 months)"."""
    c = signed_in(client, NEWCOMER)
    assert c.post("/portal/voluntary", headers=SITE, follow_redirects=False, data={
        "income": "5000000", "support_group": "other", "province_code": "01"}
                  ).status_code == 303
    with unit_of_work(portal[1]) as s:
        person_id = registry.person_id_of(session=s, personal_id=NEWCOMER)
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=person_id, seq=9, from_month=2008 * 12, to_month=2009 * 12,
            kind="voluntary", employer_id=None, salary_basis=3_000_000, allowances=0,
            occupational_rate_bp=0))
    read = " ".join(html.unescape(_as_read(c.get("/portal/book").text)).split())
    assert "1 năm 1 tháng / 1 year 1 month (13 months)" in read, read[read.find("SI paid"):][:99]


def test_why_no_pension_is_estimated_is_said_in_vietnamese_with_its_english_beside(
        client: TestClient) -> None:
    """Six years paid, fifteen needed: the page said "Chưa tính được lương hưu." and then the
    rules' English ("a male pension needs at least 15 years ..."), then the Vietnamese alone.
    The API keeps the rules' English (a contract); the page says why in Vietnamese, none of
    the rules' words in it, with the portal's own English beside it, marked as English."""
    note = client.get(f"/api/v1/books/{OWN}/estimate", headers=bearer(Citizen(OWN, 2))).json()[
        "pension_note"]
    assert note.startswith("a male pension needs at least 15 years")  # the API's, unchanged
    text = signed_in(client, OWN).get("/portal/book").text
    why = re.search(r'Chưa tính được lương hưu\. <span class="en" lang="en">/ No pension can be '
                    r'estimated yet\.</span>\s*<span id="pension-why">([^<]*) <span class="en" '
                    r'lang="en">/ ([^<]*)</span></span>', text)
    assert why is not None, text
    assert why.group(1) == ("Hưởng lương hưu cần đóng BHXH đủ ít nhất 15 năm (180 tháng); "
                            "sổ mới có 6 năm 11 tháng.")
    assert why.group(2).replace("\u00a0", " ") == (
        "A pension needs at least 15 years (180 months) of SI paid; the book has 6 years "
        "11 months so far.")
    english = {w for w in re.findall(r"[a-z]{3,}", note)} - {"art"}
    assert not set(re.findall(r"[a-z]+", why.group(1))) & english


def test_a_missing_revaluation_table_is_said_in_vietnamese_and_english() -> None:
    """A pension starting in a year whose coefficients are not loaded (2016-2023) has a rate
    but no amount: the page says why by the refusal's table, not its English."""
    starts = Period(2020, 1)
    with pytest.raises(law.NoRuleInForce) as refused:
        law.book().revaluation(2010, starts)
    said = reasons.shortfall_said(Shortfall(refused.value, starts), {"totals": {"si_months": 0}})
    assert said == ("Chưa có hệ số trượt giá tiền lương cho người bắt đầu hưởng năm 2020, nên "
                    "chưa tính được mức bình quân tiền lương. / There are no salary revaluation "
                    "coefficients yet for a pension starting in 2020, so the average salary "
                    "cannot be worked out yet.")


def test_a_reason_without_its_own_words_still_reads_in_both_languages() -> None:
    """A refusal of a kind the portal has no words for: its code, in Vietnamese and English."""
    refused = ValidationError(field="salary_basis", reason="below the floor")
    said = reasons.shortfall_said(Shortfall(refused, Period(2031, 5)), {"totals": {
        "si_months": 0}})
    assert said == ("Quy định của luật chưa đủ để ước tính cho tháng 05/2031 (mã lý do: "
                    "salary_basis). / The law's rules do not cover an estimate for 05/2031 yet "
                    "(reason code: salary_basis).")


def test_the_hi_card_image_says_in_words_what_it_shows(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A screen reader hears the card's code, level, validity and clinic, as the image prints
    them; its alternative text named only the card's holder."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=ids[OWN], seq=1, card_number="DN4010000000001", group_code="DN",
            benefit_level=4, province_code="01", initial_kcb_place="01001",
            valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)))
        card = books.assemble_person(session=s, person_id=ids[OWN],
                                     as_of=date.today())["hi_periods"][-1]
    c = signed_in(client, OWN)
    assert c.post("/portal/book", headers=SITE, follow_redirects=False).status_code == 303
    alt = re.search(r'<img src="data:image/png;base64,[^"]*" alt="(Thẻ BHYT[^"]*)"',
                    c.get("/portal/book").text)
    assert alt is not None
    valid = "{:%d/%m/%Y} – {:%d/%m/%Y}".format(*map(date.fromisoformat, (
        card["valid_from"], card["valid_to"])))
    for said in (card["card_number"][-10:], f"mức hưởng {card['benefit_level']}", valid,
                 card["initial_kcb_place"]):
        assert said in alt.group(1)


def test_a_book_without_an_hi_card_says_so_in_the_images_words(client: TestClient) -> None:
    c = signed_in(client, OWN)
    assert c.post("/portal/book", headers=SITE, follow_redirects=False).status_code == 303
    assert 'alt="Không có thẻ BHYT trong Cơ sở dữ liệu quốc gia về bảo hiểm' in c.get(
        "/portal/book").text


def test_the_access_log_says_what_was_done_and_how_it_ended_in_both_languages(
        client: TestClient) -> None:
    """A row read 'book.read ... allowed': the API's codes, not the citizen's words; then what
    was done and why in Vietnamese only, where the rest of the page says its English too."""
    c = signed_in(client, OWN)
    c.get("/portal/book")
    row = next(r for r in c.get("/portal/access-log").text.split("<tr>")
               if "GET /portal/book" in _as_read(r))
    assert ('Xem sổ BHXH <span class="en" lang="en">/ viewed the SI book</span> '
            '<code class="en">book.read</code>') in row
    assert "được phép / allowed" in _as_read(row)
    # No purpose stated: the log holds the action's English default ("read the SI book").
    assert ("<td>Không nêu (mục đích mặc định của việc này) / not stated (the action's default "
            "purpose)</td>") in html.unescape(_as_read(row))
    assert "read the SI book" not in row


def test_an_operators_and_an_officers_purpose_in_the_access_log(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A console command's purpose is said in both languages; one an officer typed reads as
    typed, whole, even with a slash in it (it is not "Vietnamese / English")."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        audit.append_many(session=s, accesses=[audit.Access(
            actor_kind="officer", actor_id="hn-clerk", action="book.read", route=route,
            purpose=purpose, person_id=ids[OWN]) for route, purpose in (
                ("cli: sibook book show", "operator command"),
                ("GET /api/v1/books/x", "hồ sơ HS-1 / kiểm tra"))])
    rows = signed_in(client, OWN).get("/portal/access-log").text.split("<tr>")
    console, typed = (next(r for r in rows if route in _as_read(r))
                      for route in ("cli:", "GET /api"))
    assert ('<td>Lệnh của cán bộ vận hành hệ thống (không nêu mục đích) <span class="en" '
            'lang="en">/ a system operator&#39;s command (no purpose stated)</span></td>'
            ) in console
    assert "<td>hồ sơ HS-1 / kiểm tra</td>" in typed
    # A route broken only before its path's each "/" (never at a hyphen); a command as logged.
    assert "<code>cli: sibook book show</code>" in console
    assert ('<code>GET <span class="ref">/api</span><wbr><span class="ref">/v1</span><wbr>'
            '<span class="ref">/books</span><wbr><span class="ref">/x</span></code>') in typed


def test_the_access_log_says_which_unit_and_what_changed_beside_the_action(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A change of the unit's payment method read "employer.change" alone: now its unit, what
    changed and from when, in the API's answer and on the page in both languages."""
    app = portal[0]
    clerk = bearer(Officer("hn-clerk", "civil", "01", frozenset({"clerk"})))
    changed = client.put(f"/api/v1/employers/{UNIT_A}/payment-cycle", headers=clerk,
                         json={"payment_cycle": "3", "from_month": "2026-04"})
    assert changed.status_code == 200, changed.text
    assert client.get(f"/api/v1/books/{OWN}", headers=clerk).status_code == 200
    answer = client.get("/api/v1/me/access-log", headers=bearer(Citizen(OWN, 2)))
    assert_conforms(app.openapi(), "GET", "/api/v1/me/access-log", answer)
    said = {e["action"]: e["detail"] for e in answer.json()["entries"]}
    assert said["employer.change"] == f"unit {UNIT_A}; payment_cycle 3; from 2026-04"
    assert said["book.read"] is None  # the action says it all
    row = next(r for r in signed_in(client, OWN).get("/portal/access-log").text.split("<tr>")
               if "employer.change" in r)
    # The unit by its name beside its code, as the book names it: its code alone was a number
    # the citizen does not know their employer by.
    assert (f"Đơn vị / unit: Công ty A ({UNIT_A}); phương thức đóng / payment method: 3 tháng "
            "một lần / every 3 months; từ tháng / from: 04/2026") in _as_read(row), row


def test_the_access_log_says_which_benefit_dossier_was_received_and_decided(
        client: TestClient) -> None:
    """A claim's entry read "benefit.claim" alone: now its regime and dossier, a decision's
    number and outcome, in both languages."""
    path = f"/api/v1/persons/{OWN}/benefits"
    clerk = bearer(Officer("hn-clerk", "civil", "01", frozenset({"clerk"})))
    approver = bearer(Officer("hn-approver", "civil", "01", frozenset({"approver"})))
    assert client.post(path, headers=clerk, json=SICK).status_code == 201
    decided = client.post(path + "/HS-0001/decision", headers=approver, json=PAID)
    assert decided.status_code == 201, decided.text
    rows = signed_in(client, OWN).get("/portal/access-log").text.split("<tr>")
    claim, decision = (_as_read(next(r for r in rows if f"benefit.{a}" in r))
                       for a in ("claim", "decide"))
    assert "chế độ / benefit: Ốm đau / sickness; hồ sơ số / dossier: HS-0001" in claim, claim
    assert ("hồ sơ số / dossier: HS-0001; quyết định số / decision: 12/QĐ-BHXH; "
            "kết quả / outcome: giải quyết / settled") in decision, decision
    assert "1.730.000" not in decision and "cúm" not in claim  # pay and health: not here


def test_every_action_has_its_vietnamese_name() -> None:
    assert set(web.ACTION_VI) == {a.value for a in Action}


def test_an_officers_purpose_in_vietnamese_reads_as_typed_in_the_access_log(
        client: TestClient) -> None:
    """The officer's X-Purpose travels as UTF-8 bytes; the server read them as Latin-1, so the
    citizen's log said "kiá»m tra há» sÆ¡" for "kiểm tra hồ sơ"."""
    clerk = bearer(Officer("hn-clerk", "civil", "01", frozenset({"clerk"})))
    sent = [*((k.encode(), v.encode()) for k, v in clerk.items()),
            (b"X-Purpose", "kiểm tra hồ sơ HS-2026-0001".encode())]  # as curl sends it
    assert client.get(f"/api/v1/books/{OWN}", headers=sent).status_code == 200
    row = next(r for r in signed_in(client, OWN).get("/portal/access-log").text.split("<tr>")
               if "hn-clerk" in r)
    assert "<td>kiểm tra hồ sơ HS-2026-0001</td>" in row, row


def test_the_pension_rate_is_written_as_vietnamese_write_a_number(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The estimate printed the rate "43.0%" beside amounts whose dots group thousands
    ("4.035.964 ₫"): a whole rate has no decimals, and a fraction takes a comma."""
    _, engine, ids = portal
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # OWN has worked at unit A since 2000: a pension's years
        s.execute(update(periods).where(periods.c.person_id == ids[OWN])
                  .values(from_month=2000 * 12))
    text = signed_in(client, OWN).get("/portal/book").text
    rate = re.search(r"<dt>Lương hưu theo số tháng đã đóng.*?<dd>([^<]*)", text, re.S)
    assert rate is not None and re.match(r"\d+(,\d+)?%: \d", rate.group(1)), rate
    assert not re.search(r"\d\.\d+%", text)


def test_who_acted_is_said_in_vietnamese_in_the_access_log(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A `sibook` command at the console, another citizen who tried this personal ID, an
    officer or a unit of another realm: the log said "root (operator)", "another citizen (công
    dân / citizen)" and "an officer of another realm (...)", English alone on a Vietnamese
    page."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["access_credentials"]), [
            {"client_id": client, "kind": kind, "secret_hash": "-", "realm": "defence",
             "roles": roles} for client, kind, roles in (("qp-clerk", "officer", "clerk"),
                                                         ("qp-unit", "employer", ""))])
        audit.append_many(session=s, accesses=[audit.Access(
            actor_kind=kind, actor_id=actor, action="book.read", route="cli: sibook book show",
            purpose=purpose, person_id=ids[OWN])
            for kind, actor, purpose in (("operator", "root@console", "operator command"),
                                         ("officer", "qp-clerk", "BQP-HS-77"),
                                         ("employer", "qp-unit", "BQP-HS-78"))])
    assert client.get(f"/api/v1/books/{OWN}",
                      headers=bearer(Citizen(OTHER, 2))).status_code == 404
    page = signed_in(client, OWN).get("/portal/access-log").text
    rows = page.split("<tr>")
    who = {_as_read(re.findall(r"<td>(.*?)</td>", r, re.S)[1]) for r in rows[2:]}
    assert {"root@console (cán bộ vận hành hệ thống / system operator)",
            "Một công dân khác / another citizen",
            "Cán bộ thuộc ngành khác / an officer of another realm",
            "Đơn vị thuộc ngành khác / a unit of another realm"} <= who, who
    # Nor the case number they stated: that realm's to keep, as their id.
    assert "BQP-HS" not in page
    assert page.count("Do ngành khác quản lý, không hiển thị") == 2


def test_a_voluntary_only_book_has_no_employers_sections(client: TestClient) -> None:
    """Someone who joined voluntary SI themself and never had an employer read "Months your
    employer deducted but did not pay: None" and "Months your employer paid late: None"; a
    book with an employer keeps both."""
    c = signed_in(client, NEWCOMER)
    joined = c.post("/portal/voluntary", headers=SITE, data={
        "income": "5000000", "support_group": "other", "province_code": "01"})
    assert joined.status_code == 200 and "Voluntary SI: months not paid in full" in joined.text
    assert "Months your employer" not in joined.text and "Đơn vị chậm đóng" not in joined.text
    employed = signed_in(client, OWN).get("/portal/book").text
    assert "Months your employer deducted but did not pay" in employed
    assert "Months your employer paid late" in employed


@pytest.mark.parametrize("path", ["/portal/book", "/portal/visits", "/portal/access-log"])
def test_the_menu_marks_the_page_the_citizen_is_on(client: TestClient, path: str) -> None:
    """Three links alike, none saying which page this is, to the eye or a screen reader."""
    page = signed_in(client, OWN).get(path).text
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', page) == [path]


def test_a_citizen_still_signed_in_at_the_sign_in_page_is_led_to_their_book(
        client: TestClient) -> None:
    """A bookmark of /portal/ showed a signed-in citizen nothing but "Sign in with VNeID", as
    if they were not: their menu and a link to their book, with the sign-in still offered. A
    level-1 session, whose book is refused, is offered the sign-in alone."""
    page = signed_in(client, OWN).get("/portal/").text
    assert 'id="signed-in"' in page and all(link in page for link in SIGNED_IN_MENU)
    assert "Sign in with VNeID" in page
    client.cookies.set("sibook_session", bearer(Citizen(OWN, 1))["Authorization"][7:],
                       path="/portal")
    level_1 = client.get("/portal/").text
    assert 'id="signed-in"' not in level_1 and "Sign in with VNeID" in level_1
    client.cookies.clear()
    anonymous = client.get("/portal/").text
    assert 'id="signed-in"' not in anonymous and 'action="/portal/sign-out"' not in anonymous


def test_the_join_forms_english_is_marked_as_english(client: TestClient) -> None:
    """The page is lang="vi": its refusals' English ("/ Enter a whole number of VND..."), the
    support groups' and a field's English name were read in a Vietnamese voice (WCAG 3.1.2);
    the rules' English alone, where the form has no words of its own, is marked whole."""
    page = signed_in(client, NEWCOMER).post("/portal/voluntary", headers=SITE, data={
        "income": "5,000,000", "support_group": "other", "province_code": "01"}).text
    assert ('id="income-error">Nhập số đồng bằng chữ số, có thể nhóm ba chữ số một bằng dấu '
            'chấm hoặc khoảng trắng, ví dụ 5.000.000 hoặc 5000000. <span class="en" lang="en">'
            '/ Enter a whole number of VND') in page
    assert ('Mức thu nhập tháng <span class="en" lang="en">/ Monthly income</span></a>: '
            in page)
    assert ('> <span>Hộ nghèo: hỗ trợ 50% <span class="en" lang="en">/ Poor household: 50%'
            '</span></span></label>') in page
    assert web.bilingual("voluntary SI starts this month at the earliest") == (
        '<span class="en" lang="en">voluntary SI starts this month at the earliest</span>')


@pytest.mark.parametrize(("method", "url", "allow"), [
    ("GET", "/portal/voluntary", "POST"), ("GET", "/portal/sign-out", "POST"),
    ("GET", "/portal/book.pdf", "POST"), ("PUT", "/portal/book", "GET, HEAD, POST")])
def test_a_page_asked_with_another_method_says_so_in_the_portals_words(
        client: TestClient, method: str, url: str, allow: str) -> None:
    """A form's address opened as a link answered "Chi tiết (bằng tiếng Anh) / Details: Method
    Not Allowed", and Allow named one method of the address's two."""
    page = signed_in(client, OWN).request(method, url)
    assert page.status_code == 405 and page.headers["Allow"] == allow
    assert ('Lý do: Trang này không mở được theo cách đó. <span class="en" lang="en">/ This '
            'page cannot be opened that way.</span>') in page.text
    assert "Method Not Allowed" not in page.text


def test_a_pdf_asked_for_after_its_version_was_revoked_is_refused_in_the_portals_words(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The book page offered the PDF, then the agency revoked its version: the download said
    "Details: version 1 of book ... is revoked by the agency ..." in English only."""
    _, engine, ids = portal
    with unit_of_work(engine) as s:
        version, _ = books.current_version(session=s, person_id=ids[OWN], as_of=date.today())
    agency = issuing.agency()
    with unit_of_work(engine) as s:
        issuing.revoke_version(s, agency, person_id=ids[OWN], personal_id=OWN,
                               version=version.version, reason="nghi gian lan")
    try:
        c = signed_in(client, OWN)
        page = c.post("/portal/book.pdf", headers=SITE)
        assert page.status_code == 409 and page.headers["content-type"].startswith("text/html")
        assert "Lý do: Phiên bản này của sổ đang bị cơ quan BHXH tạm thu hồi" in page.text
        assert "Details" not in page.text and "gian lan" not in page.text
        logged = c.get("/portal/access-log").text
        assert "POST /portal/book.pdf" in _as_read(logged)
        assert "bị từ chối / refused" in _as_read(logged)
    finally:  # the revocation list is the keys folder's, which other tests' books share
        with unit_of_work(engine) as s:
            issuing.reinstate_version(s, agency, person_id=ids[OWN], personal_id=OWN,
                                      version=version.version)


def test_a_ministrys_book_says_why_its_pension_has_a_rate_and_no_amount(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """A defence book holds no pay (a state secret), so the estimate has a rate and no amount:
    the page said "56%, từ tháng 12/2026" and nothing of the amount."""
    _, engine, ids = portal
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # a pension's years
        s.execute(update(periods).where(periods.c.person_id == ids[HIDDEN])
                  .values(from_month=2000 * 12))
    text = signed_in(client, HIDDEN).get("/portal/book").text
    rate = re.search(r"<dt>Lương hưu theo số tháng đã đóng.*?<dd>(.*?)</dd>", text, re.S)
    assert rate is not None and re.match(r"\d+(,\d+)?% \(<span id=\"pension-why\">số tiền do bộ "
                                         r"chủ quản tính, vì tiền lương là bí mật nhà nước",
                                         rate.group(1)), rate.group(1)


def test_a_maternity_claim_after_infertility_treatment_says_so_on_its_line(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The benefits table says what the signed PDF's says of a claim (FACTS §4.4): a mother's
    leave after leave for infertility treatment, on her claim's line only, beside its days."""
    _app, engine, ids = portal
    with unit_of_work(engine) as s:
        for dossier, treated in (("HS-TS-1", True), ("HS-OD-1", False)):
            regime = Regime.MATERNITY if treated else Regime.SICKNESS
            first = date(2025, 6, 1) if treated else date(2025, 3, 2)
            receive_claim(session=s, person_id=ids[OTHER], personal_id=OTHER, actor="clerk",
                          claim=Claim(regime, dossier, first + timedelta(days=19), first,
                                      first + timedelta(days=4 if not treated else 182),
                                      infertility_treatment=treated))
    page = signed_in(client, OTHER).get("/portal/book")
    rows = re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
    maternity = _as_read(next(r for r in rows if "HS-TS-1" in r))
    assert ("01/06/2025 – 30/11/2025; sau thời gian nghỉ việc điều trị vô sinh / 01/06/2025 – "
            "30/11/2025; after leave for infertility treatment") in maternity
    sickness = _as_read(next(r for r in rows if "HS-OD-1" in r))
    assert "02/03/2025 – 06/03/2025</small>" in sickness and "vô sinh" not in sickness


def test_a_benefits_regime_and_event_are_said_in_both_languages(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The benefits table's lines were the PDF's Vietnamese only ("Thai sản", "căn cứ Điều 70
    khoản 1 điểm b"), where the rest of the page says its English beside it."""
    _app, engine, ids = portal
    claims = metadata.tables["benefit_claims"]
    with unit_of_work(engine) as s:  # as recorded (OTHER's rules are not this test's)
        for row in ({
            "person_id": ids[OTHER], "claim_no": n, "dossier_no": dossier, "dossier_key": dossier,
            "received_on": date(2025, 8, 1), "recorded_by": "clerk", **claim}
            for n, (dossier, claim) in enumerate((
                ("HS-1L-1", {"regime": "lump_sum", "ground": "emigration"}),
                ("HS-HT-1", {"regime": "pension", "event_from": date(2025, 9, 1),
                             "capacity_loss_percent": 61, "hazardous_years": 15})), 90)):
            s.execute(insert(claims).values(row))
    page = signed_in(client, OTHER).get("/portal/book").text
    rows = re.findall(r"<tr><td>(.*?)</tr>", page, re.S)
    withdrawal, pension = (next(r for r in rows if d in r) for d in ("HS-1L-1", "HS-HT-1"))
    assert ('BHXH một lần <span class="en" lang="en">/ one-time withdrawal</span><br><small '
            'class="event">căn cứ Điều 70 khoản 1 điểm b <span class="en" lang="en">/ Art 70(1) '
            'b) emigrating to settle abroad</span></small>') in withdrawal, withdrawal
    assert ("01/09/2025; suy giảm khả năng lao động 61%; 15 năm làm nghề đặc biệt nặng nhọc, độc "
            "hại, nguy hiểm / 01/09/2025; 61% loss of working capacity; 15 years in especially "
            "heavy, hazardous or dangerous jobs") in _as_read(pension), pension


def test_a_settled_leave_says_how_many_days_of_leave_were_paid(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """The days a settlement paid, which the signed PDF prints beside the amount ("3 ngày
    nghỉ"), are on the page too: a 5-day leave paid for 3 days reads as that."""
    _app, engine, ids = portal
    with unit_of_work(engine) as s:
        receive_claim(session=s, person_id=ids[OWN], personal_id=OWN, actor="clerk",
                      claim=Claim(Regime.SICKNESS, "HS-OD-2", date(2025, 3, 20),
                                  date(2025, 3, 2), date(2025, 3, 6)))
        decide(session=s, person_id=ids[OWN], personal_id=OWN, actor="approver",
               dossier_no="HS-OD-2", decision=Decision("settled", date(2025, 3, 25), "7/QĐ",
                                                       amount=600_000, days=3))
    page = signed_in(client, OWN).get("/portal/book")
    row = _as_read(next(r for r in re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
                        if "HS-OD-2" in r))
    assert "600.000\u00a0₫<br><small>3 ngày nghỉ / days of leave</small>" in row
    # The leave's days under the benefit's name, which its column's head names as the PDF's
    # "Sự kiện" column does: a pension's start day stood there with no word of what it was.
    assert "<small class=\"event\">02/03/2025 – 06/03/2025</small>" in row
    assert "Chế độ, sự kiện / Benefit, event</th>" in _as_read(page.text)


def test_a_monthly_benefit_says_how_many_months_it_lasts(
        client: TestClient, portal: tuple[FastAPI, Engine, dict[str, int]]) -> None:
    """An unemployment benefit's months, which the signed PDF prints beside its monthly amount
    ("(3 tháng)"), are on the page too: when it stops is what its holder plans by."""
    _app, engine, ids = portal
    person = ids[OTHER]
    with unit_of_work(engine) as s:  # her contract ended in May 2025, UI paid 36 months
        periods = metadata.tables["si_periods"]
        employer = s.execute(select(periods.c.employer_id).where(
            periods.c.person_id == person)).scalar_one()
        s.execute(update(periods).where(periods.c.person_id == person).values(
            to_month=Period(2025, 5).index))
        s.execute(insert(metadata.tables["ui_periods"]).values(
            person_id=person, seq=1, from_month=Period(2022, 6).index,
            to_month=Period(2025, 5).index, employer_id=employer, salary_basis=9_000_000))
        receive_claim(session=s, person_id=person, personal_id=OTHER, actor="clerk",
                      claim=Claim(Regime.UNEMPLOYMENT, "HS-TN-1", date(2025, 6, 5),
                                  date(2025, 5, 31)), today=date(2025, 6, 5))
        decide(session=s, person_id=person, personal_id=OTHER, actor="approver",
               dossier_no="HS-TN-1", today=date(2025, 6, 20), decision=Decision(
                   "settled", date(2025, 6, 20), "8/QĐ-SLĐTBXH", monthly_amount=5_400_000,
                   from_month=Period(2025, 6), months=3))
    page = signed_in(client, OTHER).get("/portal/book")
    row = _as_read(next(r for r in re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
                        if "HS-TN-1" in r))
    assert "5.400.000\u00a0₫ từ / from 06/2025<br><small>3 tháng / months</small>" in row



def test_a_worker_past_retirement_age_is_told_the_pension_starts_once_they_leave(
        portal: tuple[FastAPI, Engine, dict[str, int]], client: TestClient) -> None:
    """Past the age with the employer's period open: the page estimated a pension from next
    month, which a claim would be refused for until the employer's decrease (Art 64(1)). It
    still estimates it, and says in both languages that it starts once they leave work."""
    _, engine, ids = portal
    older = make_personal_id("001", date(1958, 2, 1), "male", 77)
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        person_id = registry_service.register_person(session=s, person=NewPerson(
            personal_id=older, full_name="Trần Văn Bảy", birth_date=date(1958, 2, 1),
            sex="male", birth_registration_place="001", realm="civil"))
        unit = s.scalar(select(periods.c.employer_id).where(periods.c.person_id == ids[OWN]))
        s.execute(insert(periods).values(
            person_id=person_id, seq=1, from_month=2000 * 12, to_month=None, kind="compulsory",
            employer_id=unit, salary_basis=10_000_000, allowances=0, occupational_rate_bp=0))
    text = signed_in(client, older).get("/portal/book").text
    said = re.search(r'<span id="leaving-work">([^<]*)<span class="en" lang="en">/ ([^<]*)'
                     r'</span></span>', text)
    assert said is not None and said.group(1).startswith(
        "Bạn vẫn đang làm việc, đóng BHXH qua đơn vị: lương hưu được hưởng từ tháng sau khi "
        "nghỉ việc")
    assert html.unescape(said.group(2)).startswith(  # beside it: it read in Vietnamese alone
        "You are still working, paying SI through your employer: the pension is paid from the "
        "month after you leave work")
    assert "the pension starts the month after you leave work" in html.unescape(text)
    assert '<span id="leaving-work">' not in signed_in(client, OWN).get("/portal/book").text
