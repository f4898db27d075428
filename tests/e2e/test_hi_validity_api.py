"""The HI check at admission (``GET /hi-cards/{number}/validity``, Decree 188/2025 Art 37-38):
by the personal ID, or, when VNeID/VssID or the network fails, by the number on the card: the
10-digit SI code (cards printed since 1/4/2021) or the legacy 15-character number. A ministry's
person is a number nobody holds to a facility; every check is in the person's access log. On
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from sibook.access import credentials, ratelimit
from sibook.access.principals import EmployerUnit, Hospital, Officer, Principal
from sibook.access.settings import get_access_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import service
from sibook.registry.new_person import NewPerson
from tests.e2e.test_access_matrix import OPENAPI, bearer
from tests.e2e.test_hi_card_qr_api import reads
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.servers import app_on, configured_for

PATH = "/api/v1/hi-cards/{personal_id}/validity"
YEAR = date.today().year
PATIENT = make_personal_id("001", date(1985, 3, 2), "male", 12345)
SOLDIER = make_personal_id("001", date(1985, 1, 1), "male", 777)  # defence realm
SI_CODE, SOLDIERS_SI_CODE, NOBODYS_SI_CODE = "0101234567", "0101234568", "0109999999"
CARD, SOLDIERS_CARD = f"DN401{SI_CODE}", f"QN501{SOLDIERS_SI_CODE}"
HOSPITAL = Hospital("bach-mai")


@dataclass
class Api:
    client: TestClient
    engine: Engine
    ids: dict[str, int]

    def check(self, number: str, who: Principal = HOSPITAL) -> httpx2.Response:
        r = self.client.get(PATH.format(personal_id=number), headers=bearer(who))
        assert_conforms(OPENAPI, "GET", PATH, r)
        return r

    def log(self, personal_id: str) -> list[tuple[str, str, str, str]]:
        return reads(self.engine, self.ids[personal_id])


@pytest.fixture
def api(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """A civil patient and a soldier, each with an SI code and a card valid this year."""
    with configured_for(engine, tmp_path / "keys", monkeypatch):
        ids = {}
        with unit_of_work(engine) as s:
            for pid, si_code, card, realm in ((PATIENT, SI_CODE, CARD, "civil"),
                                              (SOLDIER, SOLDIERS_SI_CODE, SOLDIERS_CARD,
                                               "defence")):
                ids[pid] = service.register_person(session=s, person=NewPerson(
                    personal_id=pid, full_name=f"Person {pid}", birth_date=date(1985, 1, 1),
                    sex="male", birth_registration_place="001", legacy_si_code=si_code,
                    realm=realm))
                s.execute(insert(metadata.tables["hi_cards"]).values(
                    person_id=ids[pid], seq=1, card_number=card, group_code=card[:2],
                    benefit_level=int(card[2]), province_code="01", initial_kcb_place="01001",
                    valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31)))
        app = app_on(engine)
        yield Api(TestClient(app, raise_server_exceptions=False), engine, ids)


@pytest.mark.parametrize(("number", "kind"), [
    (PATIENT, "personal_id"), (SI_CODE, "si_code"), (CARD, "hi_card"),
    (f" {SI_CODE} ", "si_code"),  # pasted: the spaces around are no part of it
])
def test_a_facility_checks_by_the_personal_id_the_si_code_or_the_card_number(
        api: Api, number: str, kind: str) -> None:
    r = api.check(number)
    assert r.status_code == 200, r.text
    # The personal ID only when it was given: a card number tells the facility no other one.
    assert r.json() == {"personal_id": PATIENT if kind == "personal_id" else None,
                        "valid": True, "benefit_level": 4, "valid_to": f"{YEAR}-12-31",
                        "checked_by": kind, "reason": None}


@pytest.mark.parametrize("number", [
    make_personal_id("079", date(1991, 7, 9), "female", 222), NOBODYS_SI_CODE,
    f"DN401{NOBODYS_SI_CODE}"])
def test_a_number_nobody_holds_is_a_404(api: Api, number: str) -> None:
    assert api.check(number).status_code == 404


@pytest.mark.parametrize("card", [
    f"DN201{SI_CODE}", f"HT301{SI_CODE}",
    f"DN479{SI_CODE}",  # TP HCM's: the card on record is Hà Nội's (was answered valid)
])
def test_a_card_number_whose_group_level_or_province_differs_is_not_the_card_on_record(
        api: Api, card: str) -> None:
    """Its SI code is held: not valid, saying why, rather than the 404 of a typo; the level
    on record is not told, as the SI code's own check would tell it, nor which part differs
    (each part right would be learnt one at a time)."""
    r = api.check(card)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["valid"], answer["benefit_level"], answer["valid_to"]) == (False, None, None)
    assert answer["reason"] == (
        f"{card} is not the HI card on record for SI code {SI_CODE} (its group, benefit "
        "level or province differs): check the SI code or the personal ID")
    assert api.check(f"DN401{SI_CODE}").json()["valid"] is True  # the one on record


@pytest.mark.parametrize(("number", "says"), [
    (f"dn401{SI_CODE}", "upper case"), (f"ZZ401{SI_CODE}", "not a known participant-group"),
    ("12345678901", None),  # 11 digits: no number's shape, FastAPI's 422
])
def test_a_number_that_is_no_hi_card_is_refused_naming_why(api: Api, number: str,
                                                            says: str | None) -> None:
    r = api.check(number)
    assert r.status_code == 422, r.text
    if says:
        assert [e["field"] for e in r.json()["errors"]] == ["personal_id"]
        assert says in r.text


@pytest.mark.parametrize(("number", "nobodys"), [
    (SOLDIER, make_personal_id("001", date(1985, 1, 1), "male", 778)),
    (SOLDIERS_SI_CODE, NOBODYS_SI_CODE),
    (SOLDIERS_CARD, f"QN501{NOBODYS_SI_CODE}")])
def test_a_ministrys_person_is_a_number_nobody_holds_to_a_facility(
        api: Api, number: str, nobodys: str) -> None:
    hidden, unknown = api.check(number), api.check(nobodys)
    assert (hidden.status_code, hidden.text.replace(number, "X")) == (
        unknown.status_code, unknown.text.replace(nobodys, "X"))
    assert {k: v for k, v in hidden.headers.items() if k != "date"} == {
        k: v for k, v in unknown.headers.items() if k != "date"}
    assert hidden.status_code == 404
    route = "GET " + PATH
    assert api.log(SOLDIER) == [("bach-mai", "hi.check", route, "not_found")]
    own = api.check(number, Officer("mod-clerk", "defence", None, frozenset({"clerk"})))
    assert own.status_code == 200 and own.json()["benefit_level"] == 5, own.text


def test_each_check_is_in_the_persons_access_log_whichever_number_named_them(
        api: Api) -> None:
    for number in (PATIENT, SI_CODE, CARD, f"DN201{SI_CODE}"):
        assert api.check(number).status_code == 200
    # An employer may not check: refused, and the patient sees who tried, by the SI code too.
    employer = EmployerUnit("acme", make_enterprise_code(5))
    assert api.check(SI_CODE, employer).status_code == 403
    route = "GET " + PATH
    assert sorted(api.log(PATIENT)) == [("acme", "hi.check", route, "forbidden")] + [
        ("bach-mai", "hi.check", route, "allowed")] * 4


@pytest.mark.parametrize("path", ["/api/v1/persons/{}", "/api/v1/books/{}"])
@pytest.mark.parametrize("number", [SI_CODE, CARD])
def test_a_refused_address_that_takes_no_card_number_blames_nobody_for_one(
        api: Api, path: str, number: str) -> None:
    """Only the HI check reads an SI code or a card number: at an address that takes a personal
    ID alone, one names nobody (an allowed caller is answered 422), so a facility refused there
    is not in the holder's log as having tried to read their record or book."""
    r = api.client.get(path.format(number), headers=bearer(HOSPITAL))
    assert r.status_code == 403
    assert api.log(PATIENT) == []
    assert api.client.get(path.format(PATIENT), headers=bearer(HOSPITAL)).status_code == 403
    assert [entry[3] for entry in api.log(PATIENT)] == ["forbidden"]  # the personal ID does


def test_a_ministrys_person_whose_card_carries_a_patients_si_code_does_not_hide_the_patient(
        api: Api) -> None:
    """A soldier's card issued here carries the last 10 digits of his personal ID, which are a
    civil patient's legacy SI code; her own card carries her personal ID's. The soldier, out of
    the facility's sight, was the number's holder all the same, and her check a 404: it told
    that someone hidden holds the number. She is answered as if he were not there."""
    soldier = make_personal_id("001", date(1985, 5, 5), "male", 31337)
    patient = make_personal_id("001", date(1985, 6, 6), "male", 4444)
    for pid, legacy, card, realm in ((soldier, None, f"QN501{soldier[2:]}", "defence"),
                                     (patient, soldier[2:], f"GD401{patient[2:]}", "civil")):
        with unit_of_work(api.engine) as s:
            api.ids[pid] = service.register_person(session=s, person=NewPerson(
                personal_id=pid, full_name=f"Person {pid}", birth_date=date(1985, 1, 1),
                sex="male", birth_registration_place="001", legacy_si_code=legacy, realm=realm))
            s.execute(insert(metadata.tables["hi_cards"]).values(
                person_id=api.ids[pid], seq=1, card_number=card, group_code=card[:2],
                benefit_level=int(card[2]), province_code="01", initial_kcb_place="01001",
                valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31)))
    for number in (soldier[2:], f"GD401{soldier[2:]}"):
        r = api.check(number)
        assert r.status_code == 200, r.text
        assert (r.json()["valid"], r.json()["benefit_level"]) == (True, 4)
    assert [(e[1], e[3]) for e in api.log(patient)] == [("hi.check", "allowed")] * 2
    assert api.log(soldier) == []
    own = api.check(soldier[2:], Officer("mod-clerk", "defence", None, frozenset({"clerk"})))
    assert own.json()["benefit_level"] == 5, own.text  # his realm's officer: his card


SHARER = make_personal_id("001", date(1985, 1, 1), "male", 4242)  # no legacy SI code
SHARED = SHARER[2:]  # the SI code part of the cards issued here: the ID's last 10 digits


def test_a_card_issued_here_is_checked_by_its_number_and_one_si_code_of_two_is_refused(
        api: Api) -> None:
    """Cards issued here carry the last 10 digits of the personal ID; another person's legacy
    SI code can be those digits. The number on each one's card finds its holder; the 10
    digits alone are two people's, refused (409) rather than answered for the wrong one. The
    lookup matched legacy SI codes only: the card issued here was a 404, and the other
    person's card was answered for it."""
    with unit_of_work(api.engine) as s:
        for pid, legacy, card in ((SHARER, None, f"DN401{SHARED}"),
                                  (make_personal_id("001", date(1985, 1, 1), "male", 99),
                                   SHARED, f"HT301{SHARED}")):
            api.ids[pid] = service.register_person(session=s, person=NewPerson(
                personal_id=pid, full_name=f"Person {pid}", birth_date=date(1985, 1, 1),
                sex="male", birth_registration_place="001", legacy_si_code=legacy))
            s.execute(insert(metadata.tables["hi_cards"]).values(
                person_id=api.ids[pid], seq=1, card_number=card, group_code=card[:2],
                benefit_level=int(card[2]), province_code="01", initial_kcb_place="01001",
                valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31)))
    issued_here = api.check(f"DN401{SHARED}")
    assert issued_here.status_code == 200, issued_here.text
    assert (issued_here.json()["valid"], issued_here.json()["benefit_level"]) == (True, 4)
    assert [(e[1], e[3]) for e in api.log(SHARER)] == [("hi.check", "allowed")]
    legacy = api.check(f"HT301{SHARED}")
    assert (legacy.json()["valid"], legacy.json()["benefit_level"]) == (True, 3)
    both = api.check(SHARED)
    assert both.status_code == 409, both.text
    assert [e["field"] for e in both.json()["errors"]] == ["personal_id"]
    assert "check by the personal ID" in both.text
    alone = make_personal_id("001", date(1992, 2, 2), "female", 5151)
    with unit_of_work(api.engine) as s:
        api.ids[alone] = service.register_person(session=s, person=NewPerson(
            personal_id=alone, full_name="Alone", birth_date=date(1992, 2, 2), sex="female",
            birth_registration_place="001"))
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=api.ids[alone], seq=1, card_number=f"GD401{alone[2:]}", group_code="GD",
            benefit_level=4, province_code="01", initial_kcb_place="01001",
            valid_from=date(YEAR, 1, 1), valid_to=date(YEAR, 12, 31)))
    printed = api.check(alone[2:])  # the 10 digits a card printed since 2021 shows
    assert printed.status_code == 200, printed.text
    assert (printed.json()["valid"], printed.json()["checked_by"]) == (True, "si_code")


OFFICER = Officer("vss-clerk", "civil", None, frozenset({"clerk"}))


@pytest.fixture
def limit(api: Api, monkeypatch: pytest.MonkeyPatch) -> int:
    """Three failed checks an hour, not the 60 a hospital gets, to keep the tests short."""
    monkeypatch.setenv("SIBOOK_HI_CHECK_FAILURES_PER_HOUR", "3")
    get_access_settings.cache_clear()
    return 3


def test_a_facility_that_keeps_failing_checks_is_stopped_for_the_hour(
        api: Api, limit: int) -> None:
    """A card number not the one on record, a number nobody holds and a ministry's person's
    each count; past the limit every check is a 429, the right number's too (else the 429
    would be the wrong guesses' answer alone), in any server process. The facility could guess
    a known SI code's group, level and province one 200 after another."""
    failures = [api.check(n).status_code for n in (f"DN479{SI_CODE}", NOBODYS_SI_CODE,
                                                   SOLDIERS_SI_CODE)]
    assert failures == [200, 404, 404]
    ratelimit.reset()  # as a restart or another server process: the count is in the store
    for number in (f"DN201{SI_CODE}", CARD, PATIENT):
        stopped = api.check(number)
        assert stopped.status_code == 429, stopped.text
        assert 0 < int(stopped.headers["Retry-After"]) <= 3601  # the hour after the third
        assert stopped.json() == {"detail": "too many requests; try again later"}
    assert api.check(CARD, Hospital("cho-ray")).json()["valid"] is True  # another facility's
    assert api.check(CARD, OFFICER).json()["valid"] is True


def test_successful_checks_are_never_counted(api: Api, limit: int) -> None:
    for number in [PATIENT, SI_CODE, CARD] * 3:
        assert api.check(number).json()["valid"] is True
    assert [api.check(NOBODYS_SI_CODE).status_code for _ in range(limit - 1)] == [404] * (limit - 1)
    assert api.check(CARD).json()["valid"] is True  # two failures of three: still answered


def test_an_officers_failed_checks_are_not_limited(api: Api, limit: int) -> None:
    answers = [api.check(n, OFFICER).status_code
               for n in [NOBODYS_SI_CODE, f"DN479{SI_CODE}"] * limit]
    assert answers == [404, 200] * limit
    assert api.check(CARD, OFFICER).json()["valid"] is True


def test_an_officer_lifts_a_facilitys_stop_with_access_unlock(api: Api, limit: int) -> None:
    for _ in range(limit):
        api.check(NOBODYS_SI_CODE)
    assert api.check(CARD).status_code == 429
    with unit_of_work(api.engine) as s:
        assert credentials.unlock(session=s, client_id="bach-mai") == 1
    assert api.check(CARD).json()["valid"] is True


def test_failed_checks_sent_at_once_are_stopped_at_the_limit(api: Api, limit: int) -> None:
    """A facility's checks take turns, each reading the failures counted before it: judged
    side by side, guesses sent at once would all find the credential not yet stopped."""
    assert api.check(CARD).status_code == 200  # the server's token key made, before the race
    go = threading.Barrier(8)

    def guess(level: int) -> int:
        go.wait()
        return api.check(f"DN{level % 5 + 1}79{SI_CODE}").status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(guess, range(8)))
    assert answers == [200] * limit + [429] * (8 - limit)
