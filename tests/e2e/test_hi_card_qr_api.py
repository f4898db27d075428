"""The HI card's signed QR text over HTTP (``GET /books/{personal_id}/card/qr``): to whoever
may read the person's book, the card's QR as its image carries it, which the public
``POST /hi-cards/verify`` accepts; each read in the person's access log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from sibook.access import audit
from sibook.access.principals import Officer
from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from tests.e2e.test_access_matrix import HIDDEN, OTHER, OWN, PRINCIPALS, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms

PATH = "/api/v1/books/{personal_id}/card/qr"
YEAR = date.today().year
CARDS = {OWN: "DN4010123456789", HIDDEN: "QN5010123456780"}
APPROVER = Officer("hn-approver", "civil", "01", frozenset({"approver"}))


@dataclass
class Api:
    client: TestClient
    engine: Engine
    ids: dict[str, int]
    spec: dict[str, Any]

    def qr(self, who: str | Officer, personal_id: str = OWN) -> Any:
        principal = PRINCIPALS[who] if isinstance(who, str) else who
        r = self.client.get(PATH.format(personal_id=personal_id), headers=bearer(principal))
        assert_conforms(self.spec, "GET", PATH, r)
        return r

    def verify(self, qr: str | bytes, as_of: date | None = None) -> dict[str, Any]:
        r = self.client.post("/api/v1/hi-cards/verify", files={"file": ("card.txt", qr)},
                             params={"as_of": as_of.isoformat()} if as_of else {})
        assert r.status_code == 200, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def reads(self, personal_id: str) -> list[tuple[str, str, str, str]]:
        return reads(self.engine, self.ids[personal_id])


def reads(engine: Engine, person_id: int) -> list[tuple[str, str, str, str]]:
    """The person's access log: who, which action, on which route, with what outcome."""
    with unit_of_work(engine) as s:
        return [(e.actor_id, e.action, e.route, e.outcome)
                for e in audit.entries_for_person(session=s, person_id=person_id)]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    app, engine, ids = populated_app(tmp_path / "card.db")
    with unit_of_work(engine) as s:  # own and hidden hold a card this year; other none
        for pid, number in CARDS.items():
            s.execute(insert(metadata.tables["hi_cards"]).values(
                person_id=ids[pid], seq=1, card_number=number, group_code=number[:2],
                benefit_level=int(number[2]), province_code="01", initial_kcb_place="01001",
                valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31)))
    yield Api(TestClient(app, raise_server_exceptions=False), engine, ids, app.openapi())
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def test_the_citizens_card_qr_is_what_the_hospitals_check_accepts(api: Api) -> None:
    r = api.qr("citizen")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    checked = api.verify(r.text)
    assert checked["valid"] is True, checked
    assert (checked["personal_id"], checked["card_number"], checked["benefit_level"],
            checked["valid_to"]) == (OWN, CARDS[OWN], 4, f"{YEAR}-12-31")
    assert checked["full_name"] == f"Person {OWN}"
    assert api.verify(r.text, as_of=date(YEAR + 1, 1, 1))["valid"] is False  # expired then
    assert api.verify(r.text.replace("SIB1:", "SIB1:A", 1))["valid"] is False


@pytest.mark.parametrize("path", ["/api/v1/hi-cards/verify", "/api/v1/verify"])
def test_two_files_in_one_check_are_refused_not_answered_for_the_last(api: Api,
                                                                       path: str) -> None:
    """A genuine card and a forged one sent together: FastAPI read the last and the answer,
    valid, said nothing of the other."""
    qr = api.qr("citizen").text
    r = api.client.post(path, files=[("file", ("forged.txt", qr.replace("SIB1:", "SIB1:A"))),
                                     ("file", ("card.txt", qr))])
    assert_conforms(api.spec, "POST", path, r)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "file", "reason": (
        "the request holds 2 parts named file; one file is read a request: send each in a "
        "request of its own")}]


def test_the_cards_picture_sent_for_its_qr_text_is_told_to_send_the_text(api: Api) -> None:
    """A hospital handed the card's image (or a book's PDF) uploads that file: the answer says
    what it sent and what to send, not that the input "is not UTF-8"."""
    png = api.client.get(f"/api/v1/books/{OWN}/card.png", headers=bearer(PRINCIPALS["citizen"]))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    send = "the text its QR holds, as a scanner reads it"
    assert api.verify(png.content)["errors"] == [f"an image (PNG), not QR text: give {send}"]
    pdf = api.client.get(f"/api/v1/books/{OWN}/pdf", headers=bearer(PRINCIPALS["citizen"]))
    assert api.verify(pdf.content)["errors"] == [f"a PDF, not QR text: give {send}"]
    r = api.client.post("/api/v1/verify", files={"file": ("card.png", png.content)})
    assert r.status_code == 200 and r.json()["errors"] == [
        f"an image (PNG), not a book's PDF or QR text: give the PDF, or {send}"]


def test_each_read_is_in_the_persons_access_log(api: Api) -> None:
    assert api.qr("citizen").status_code == 200
    assert api.qr("clerk_hanoi").status_code == 200
    route = "GET " + PATH
    assert [r for r in api.reads(OWN) if r[2] == route] == [
        ("hn-clerk", "book.read", route, "allowed"), (OWN, "book.read", route, "allowed")]


def test_only_those_who_read_the_book_get_its_card(api: Api) -> None:
    """A citizen their own; officers in scope and realm; no employer, no hospital (the
    patient shows their card; the facility checks validity, never fetches a card)."""
    assert api.qr("citizen", OTHER).status_code == 404
    assert api.qr("employer_a").status_code == 403
    assert api.qr("hospital").status_code == 403
    assert api.client.get(PATH.format(personal_id=OWN)).status_code == 401
    assert api.qr("clerk_hanoi", HIDDEN).status_code == 404  # absent outside its realm
    soldier = api.qr("defence_clerk", HIDDEN)
    assert soldier.status_code == 200, soldier.text
    assert api.verify(soldier.text)["valid"] is True  # signed by the realm's key, trusted
    refused = [r for r in api.reads(HIDDEN) if r[0] == "hn-clerk"]
    assert refused and all(r[3] != "allowed" for r in refused)


def test_a_person_without_a_card_is_a_404_saying_so(api: Api) -> None:
    r = api.qr("auditor_national", OTHER)
    assert r.status_code == 404, r.text
    (error,) = r.json()["errors"]
    assert error["field"] == "personal_id" and "no HI card" in error["reason"]
    assert ("auditor", "book.read", "GET " + PATH, "refused") in api.reads(OTHER)


def test_the_card_stands_while_its_book_version_is_revoked(api: Api) -> None:
    """Coverage is the registry's: a doubt about the contribution history refuses no care."""
    assert api.qr("citizen").status_code == 200  # records version 1
    revoked = api.client.post(f"/api/v1/books/{OWN}/versions/1/revocation",
                              headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    assert revoked.status_code == 201, revoked.text
    assert api.client.get(f"/api/v1/books/{OWN}/qr",
                          headers=bearer(PRINCIPALS["citizen"])).status_code == 409
    card = api.qr("citizen")
    assert card.status_code == 200, card.text
    assert api.verify(card.text)["valid"] is True
