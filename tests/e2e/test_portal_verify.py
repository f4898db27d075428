"""The portal's public check (``/portal/verify``): a book's PDF or QR text, or an HI card's QR,
checked without signing in by the API's own verification, its answer and reasons shown in
Vietnamese first with the API's English beside them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from sibook.access import audit
from sibook.access.principals import Officer
from sibook.access.settings import get_access_settings
from sibook.book import issuing
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.signing.qr import sign_qr, verify_qr
from tests.e2e.test_access_matrix import OWN, PRINCIPALS, bearer, populated_app
from tests.unit.test_signing_support import flipped_signing_time, zeroed_contents

SITE = {"Origin": "http://testserver"}
APPROVER = Officer("hn-approver", "civil", "01", frozenset({"approver"}))
CARD = "DN4010123456789"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         ) -> Iterator[tuple[TestClient, Engine, dict[str, int]]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    app, engine, ids = populated_app(tmp_path / "portal-verify.db")
    year = date.today().year
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=ids[OWN], seq=1, card_number=CARD, group_code="DN", benefit_level=4,
            province_code="01", initial_kcb_place="01001", valid_from=date(year, 1, 1),
            valid_to=date(year, 12, 31)))
    yield TestClient(app, raise_server_exceptions=False), engine, ids
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def _clerk() -> dict[str, str]:
    return bearer(PRINCIPALS["clerk_hanoi"])


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _check(client: TestClient, *, data: bytes | None = None, text: str = "",
           headers: dict[str, str] | None = None) -> tuple[int, str]:
    files = {"file": ("" if data is None else "book.pdf", data or b"")}  # "": none chosen
    r = client.post("/portal/verify", files=files, data={"text": text},
                    headers=SITE if headers is None else headers)
    assert "sibook_session" not in r.headers.get("set-cookie", "")
    return r.status_code, _text(r.text)


def test_the_form_needs_no_sign_in_and_the_start_page_links_it(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, _, _ = site
    start = client.get("/portal/")
    assert 'href="/portal/verify"' in start.text
    form = client.get("/portal/verify")
    assert form.status_code == 200, form.text
    assert 'enctype="multipart/form-data"' in form.text and 'name="file"' in form.text
    assert "Kiểm tra sổ BHXH" in form.text
    assert form.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_genuine_pdf_and_qr_are_valid_and_a_changed_byte_is_not(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, engine, ids = site
    pdf = client.get(f"/api/v1/books/{OWN}/pdf", headers=_clerk())
    assert pdf.status_code == 200, pdf.text
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).text
    with unit_of_work(engine) as s:
        logged = len(audit.entries_for_person(session=s, person_id=ids[OWN]))
    for status, page in (_check(client, data=pdf.content), _check(client, text=qr)):
        assert status == 200, page
        assert "Hợp lệ / Valid" in page and "Không hợp lệ" not in page
        assert f"Số định danh cá nhân / Personal ID {OWN}" in page
        assert "Phiên bản sổ / Version 1" in page and "Người ký / Signer" in page
    with unit_of_work(engine) as s:  # as the API's public verify: no read of the book logged
        assert len(audit.entries_for_person(session=s, person_id=ids[OWN])) == logged

    at = pdf.content.index(b"Person ")  # the holder's name, inside the signed bytes
    changed = pdf.content[:at] + b"Q" + pdf.content[at + 1:]
    status, page = _check(client, data=changed)
    assert status == 200 and "Không hợp lệ / Not valid" in page, page
    assert ("Tệp đã bị sửa sau khi ký: nội dung không khớp với chữ ký số. / the document does "
            "not match its signature: altered after signing") in page


def test_a_revoked_version_is_said_revoked(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, _, _ = site
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).text
    r = client.post(f"/api/v1/books/{OWN}/versions/1/revocation", headers=bearer(APPROVER),
                    json={"reason": "nghi gian lận"})
    assert r.status_code == 201, r.text
    status, page = _check(client, text=qr)
    assert status == 200 and "Không hợp lệ / Not valid" in page
    assert (f"Phiên bản này của sổ đã bị cơ quan BHXH thu hồi. / revoked: version 1 of book "
            f"{OWN}: revoked on") in page
    assert "gian" not in page  # when, never why, as the API


def test_garbage_is_not_valid_and_says_why(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, _, _ = site
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).status_code == 200  # keys
    status, page = _check(client, text="hello")
    assert status == 200 and "Không hợp lệ / Not valid" in page
    assert "Đây không phải mã QR của cơ quan BHXH" in page and "bad prefix" in page
    status, page = _check(client, data=b"\xff\xfe\x00garbage")
    assert "Tệp không phải PDF, cũng không phải nội dung mã QR." in page, page
    status, page = _check(client, data=b"\r\n")  # a file of blank lines: said empty
    assert status == 200 and "Tệp trống: không có gì để kiểm tra." in page, page
    status, page = _check(client)  # nothing chosen, nothing pasted: the form says so
    assert status == 422 and "Chọn tệp PDF hoặc tệp văn bản mã QR" in page


def test_an_empty_file_is_said_empty_not_as_if_none_was_chosen(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """A file of no bytes (an attachment that did not download) was answered "Choose a PDF or
    a QR text file", as if the clerk had chosen none: the page names the file and says it is
    empty."""
    client, _, _ = site
    r = client.post("/portal/verify", files={"file": ("sổ của An.pdf", b"")}, headers=SITE)
    page = _text(r.text)
    assert r.status_code == 422 and "Chọn tệp PDF" not in page, page
    assert ("Tệp đã chọn, sổ của An.pdf, trống: không có gì để kiểm tra. / The file chosen, "
            "sổ của An.pdf, is empty: nothing to check.") in page, page



def test_two_files_or_two_texts_are_refused_naming_the_field_not_the_last_checked(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """A form holding two files (``curl -F file=@a -F file=@b``, or a page made elsewhere) was
    answered for the last one: a genuine PDF after garbage read "valid" for both. As the API's
    verify routes, the page refuses it naming the field, and checks nothing; two QR texts too."""
    client, _, _ = site
    pdf = client.get(f"/api/v1/books/{OWN}/pdf", headers=_clerk()).content
    for parts, field in (([("file", ("junk.txt", b"garbage")), ("file", ("book.pdf", pdf))],
                          "file"),
                         ([("file", ("", b"")), ("text", (None, b"hello")),
                           ("text", (None, b"SIB1:x"))], "text")):
        r = client.post("/portal/verify", files=parts, headers=SITE)
        page = _text(r.text)
        assert r.status_code == 422 and "Hợp lệ" not in page, page
        assert f"the form holds 2 parts named {field}; one is checked a request" in page, page
        assert re.search(r'<p class="notice" role="alert" id="problem">', r.text)


def test_a_file_past_the_servers_limit_is_said_on_the_check_page_not_in_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A verifier who chose a file larger than the server takes (SIBOOK_MAX_UPLOAD_BYTES) got
    the API's raw JSON, saying "a monthly list may be filed in several batches": the check
    page says it, with the limit, in Vietnamese and English. The API's answer stays JSON."""
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_MAX_UPLOAD_BYTES", "20000")
    get_settings.cache_clear()
    app, engine, _ = populated_app(tmp_path / "limit.db")
    try:
        client = TestClient(app, raise_server_exceptions=False)
        big = {"file": ("video.mp4", b"0" * 30_000)}
        r = client.post("/portal/verify", files=big, headers=SITE)
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        page = _text(r.text)
        assert ("Tệp quá lớn: máy chủ nhận tối đa 20.000 byte mỗi lần gửi; không có gì được "
                "kiểm tra. / The file is larger than the server takes: at most 20,000 bytes a "
                "request; nothing was checked.") in page, page
        assert 'id="problem"' in r.text and "monthly list" not in page
        assert "default-src 'none'" in r.headers["content-security-policy"]
        api = client.post("/api/v1/verify", files=big)
        assert api.status_code == 413 and api.json()["errors"][0]["field"] == "body"
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_a_file_and_a_pasted_text_together_are_refused_not_one_of_them_ignored(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """A file chosen while the box still held an earlier QR text: the file was checked and the
    text, kept in its box, stood beside an answer that was not about it. The page asks for one
    or the other, the text kept in its box to be cleared."""
    client, _, _ = site
    pdf = client.get(f"/api/v1/books/{OWN}/pdf", headers=_clerk()).content
    r = client.post("/portal/verify", files={"file": ("book.pdf", pdf)},
                    data={"text": "SIB1:an earlier QR"}, headers=SITE)
    page = _text(r.text)
    assert r.status_code == 422 and "Hợp lệ" not in page, page
    assert "Choose a file or paste the QR text, not both" in page, page
    assert re.search(r'<textarea id="text"[^>]*>SIB1:an earlier QR</textarea>', r.text)


def test_the_pasted_qr_text_stays_in_its_box_beside_the_answer(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """The answer emptied the box: what was pasted could be neither read against the reasons
    nor corrected. It stays, escaped as any text the page shows."""
    client, _, _ = site
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).status_code == 200  # keys
    r = client.post("/portal/verify", files={"file": ("book.pdf", b"")},
                    data={"text": "SIB1:<b>not a QR"}, headers=SITE)
    assert r.status_code == 200 and "Không hợp lệ" in r.text
    assert re.search(r'<textarea id="text"[^>]*>SIB1:&lt;b&gt;not a QR</textarea>', r.text)


def test_a_damaged_signature_is_said_in_vietnamese_in_our_words(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """A /Contents of zeros and a changed signing time were shown as "Lý do khác" beside
    asn1crypto's and pyHanko's own words."""
    client, _, _ = site
    pdf = client.get(f"/api/v1/books/{OWN}/pdf", headers=_clerk())
    assert pdf.status_code == 200, pdf.text
    for damaged, english in (
            (zeroed_contents(pdf.content), "its encoding (DER) cannot be parsed"),
            (flipped_signing_time(pdf.content), "its signing time (/M) is not a date")):
        status, page = _check(client, data=damaged)
        assert status == 200 and "Không hợp lệ / Not valid" in page, page
        assert ("Phần chữ ký số của tệp bị hỏng hoặc đã bị sửa sau khi ký. / the signature's "
                f"data is damaged: {english}") in page
        assert "Lý do khác" not in page and "asn1crypto" not in page

def test_a_book_signed_by_another_realm_or_in_the_future_is_refused_api_and_page(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """The civil book's own payload signed by the trusted defence key, or by the civil key
    with an issue time a day ahead: the API's errors name why, the page says it in
    Vietnamese beside them."""
    client, _, _ = site
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).text
    agency = issuing.agency()
    payload = verify_qr(qr, agency.trust_list()).payload
    assert payload["realm"] == "civil"
    for text, english, vietnamese in (
            (sign_qr(payload, agency.signer("defence")), "signed by another realm's key: "
             "issued for the 'civil' realm, signed by the certificate 'Vietnam Social Security "
             "defence issuer 1' of the 'defence' realm", "Được ký bằng khóa của cơ quan BHXH "
             "khác"),
            (sign_qr(payload, agency.signer("civil"), issued_at=datetime.now(UTC)
                     + timedelta(days=1)), "issued in the future: ", "Thời điểm ký ghi trong "
             "tệp là một thời điểm trong tương lai")):
        answer = client.post("/api/v1/verify", files={"file": ("qr.txt", text.encode())})
        assert answer.status_code == 200 and answer.json()["valid"] is False
        assert [e[:len(english)] for e in answer.json()["errors"]] == [english]
        status, page = _check(client, text=text)
        assert status == 200 and "Không hợp lệ / Not valid" in page, page
        assert vietnamese in page and english in page and "Lý do khác" not in page


def test_an_hi_cards_qr_gets_the_cards_answer(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, _, _ = site
    card = client.get(f"/api/v1/books/{OWN}/card/qr", headers=_clerk())
    assert card.status_code == 200, card.text
    status, page = _check(client, text=card.text)
    assert status == 200 and "Hợp lệ / Valid" in page, page
    assert "Mã QR của thẻ BHYT" in page and f"Mã số thẻ BHYT / Card number {CARD}" in page
    assert f"Họ và tên / Full name Person {OWN}" in page
    assert f"31/12/{date.today().year}" in page


def test_a_form_posted_from_another_site_is_refused(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    client, _, _ = site
    status, page = _check(client, text="hello", headers={"Origin": "https://evil.example"})
    assert status == 403 and "gửi từ trang web khác" in page


def test_an_expired_sign_in_does_not_stand_in_the_way(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """The check needs no sign-in, so a session cookie that no longer holds (expired, signed
    out, or garbage) is not asked for: the answer, not the sign-in page."""
    client, _, _ = site
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=_clerk()).text
    client.cookies.set("sibook_session", "not-a-token", path="/portal")
    status, page = _check(client, text=qr)
    assert status == 200 and "Hợp lệ / Valid" in page, page


def test_the_check_page_says_a_check_is_not_logged_not_that_every_read_is(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """The other pages' footer ("every read of your data is logged") is not true of a check,
    which logs nothing (above): a bank clerk would believe the holder is told of it."""
    client, _, _ = site
    for page in (client.get("/portal/verify"), client.post("/portal/verify",
                                                           data={"text": "SIB1:x"})):
        assert "Every read of your data is" not in page.text
        assert "A check is not recorded in the holder's access log." in page.text
    assert "Every read of your data is" in client.get("/portal/").text


def test_the_check_pages_refusals_say_a_check_is_not_logged_too(
        site: tuple[TestClient, Engine, dict[str, int]]) -> None:
    """A form posted from another site (403) and a body cut short (400) are refused on the
    refusal page, which carried the citizen's footer: "every read of your data is logged"."""
    client, _, _ = site
    cut = (b'--cut\r\nContent-Disposition: form-data; name="text"\r\n\r\nSIB1:x\r\n')
    for status, page in ((403, client.post("/portal/verify", data={"text": "SIB1:x"},
                                           headers={"Origin": "https://evil.example"})),
                         (400, client.post("/portal/verify", content=cut, headers={
                             **SITE, "Content-Type": "multipart/form-data; boundary=cut"}))):
        assert page.status_code == status, page.text
        assert "Every read of your data is" not in page.text
        assert "A check is not recorded in the holder's access log." in page.text
