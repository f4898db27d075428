"""HI visits over HTTP: a hospital files its own facility's claims (multipart XML), all or none;
the citizen reads their visits at /me, an officer in scope at /persons; employers and hospitals
read none; defence persons stay unknown to a civil hospital; every touch is logged and every
answer is one the OpenAPI declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from sibook.access import audit, credentials
from sibook.access.principals import Citizen, EmployerUnit, Hospital, Officer, Principal
from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.schema import metadata
from tests.e2e.test_access_matrix import HIDDEN, OTHER, OWN, UNIT_A, bearer, populated_app
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.visit_files import claim_file, summary

FILE, MINE, ANNUL = "/api/v1/visits", "/api/v1/me/visits", "/api/v1/visits/annulments"
OF_PERSON = "/api/v1/persons/{personal_id}/visits"
BACH_MAI = Hospital("bach-mai", "01001")
CLERK = Officer("hn-clerk", "civil", "01", frozenset({"clerk"}))
SELF = Citizen(OWN, 2)
CARDS = {OWN: "DN4010000000001", OTHER: "DN4790000000002", HIDDEN: "QN5010000000003"}


@dataclass
class Api:
    client: TestClient
    engine: Engine
    spec: dict[str, Any]
    ids: dict[str, int]

    def file(self, who: Principal | dict[str, str], data: bytes) -> httpx2.Response:
        headers = who if isinstance(who, dict) else bearer(who)
        r = self.client.post(FILE, headers=headers,
                             files={"file": ("claims.xml", data, "application/xml")})
        assert_conforms(self.spec, "POST", FILE, r)
        return r

    def mine(self, who: Principal) -> httpx2.Response:
        r = self.client.get(MINE, headers=bearer(who))
        assert_conforms(self.spec, "GET", MINE, r)
        return r

    def of(self, who: Principal, pid: str) -> httpx2.Response:
        r = self.client.get(OF_PERSON.format(personal_id=pid), headers=bearer(who))
        assert_conforms(self.spec, "GET", OF_PERSON, r)
        return r

    def annul(self, who: Principal, link: str = "LK-1", facility: str = "01001",
              reason: str = "another patient's claim") -> httpx2.Response:
        r = self.client.post(ANNUL, headers=bearer(who), json={
            "facility_code": facility, "link_code": link, "reason": reason})
        assert_conforms(self.spec, "POST", ANNUL, r)
        return r

    def log(self, pid: str) -> list[tuple[str, str, str]]:
        with unit_of_work(self.engine) as s:
            return [(e.actor_id, e.action, e.outcome) for e in audit.entries_for_person(
                session=s, person_id=self.ids[pid], limit=1000)]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    app, engine, ids = populated_app(tmp_path / "visits.db")
    with unit_of_work(engine) as s:
        for pid, number in CARDS.items():
            s.execute(insert(metadata.tables["hi_cards"]).values(
                person_id=ids[pid], seq=1, card_number=number, group_code=number[:2],
                benefit_level=int(number[2]), province_code=number[3:5],
                initial_kcb_place="01001", valid_from=date(2026, 1, 1),
                valid_to=date(2026, 12, 31)))
    yield Api(TestClient(app, raise_server_exceptions=False), engine, app.openapi(), ids)
    engine.dispose()
    get_access_settings.cache_clear()


def visit(pid: str, link: str = "LK-1", **fields: str) -> dict[str, str]:
    return summary(**{"SO_CCCD": pid, "HO_TEN": f"Person {pid}", "MA_THE_BHYT": CARDS[pid],
                      "MA_LK": link, **fields})


def test_a_hospital_files_and_the_citizen_and_an_officer_read_the_visit(api: Api) -> None:
    filed = api.file(BACH_MAI, claim_file([visit(OWN)]))
    assert filed.status_code == 201, filed.text
    assert filed.json() == {"accepted": True, "facility_code": "01001", "records": 1, "recorded": 1,
                            "unchanged": 0, "replayed": False}
    mine = api.mine(SELF)
    assert mine.status_code == 200, mine.text
    [v] = mine.json()["visits"]
    assert (v["facility_code"], v["admitted_at"], v["diagnosis"], v["total_cost"],
            v["hi_paid"], v["patient_paid"]) == ("01001", "2026-03-02T08:30", "J03", 237_300,
                                                 189_840, 47_460)
    assert api.of(CLERK, OWN).json()["visits"] == [v]
    assert api.of(SELF, OWN).json()["visits"] == [v]
    log = api.log(OWN)
    assert ("bach-mai", "visit.file", "allowed") in log
    assert ("hn-clerk", "visit.read", "allowed") in log and (OWN, "visit.read", "allowed") in log


def test_a_persons_visits_are_read_a_page_at_a_time(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN), visit(OWN, "LK-2", NGAY_VAO="202603050800",
                                                     NGAY_RA="202603050900")]))
    page = api.mine(SELF).json()
    assert (page["total"], [v["link_code"] for v in page["visits"]]) == (2, ["LK-2", "LK-1"])
    r = api.client.get(f"{OF_PERSON.format(personal_id=OWN)}?limit=1&offset=1",
                       headers=bearer(CLERK))
    assert_conforms(api.spec, "GET", OF_PERSON, r)
    assert (r.json()["total"], [v["link_code"] for v in r.json()["visits"]]) == (2, ["LK-1"])
    for query in ("limit=0", "limit=1001", "offset=-1"):
        r = api.client.get(f"{MINE}?{query}", headers=bearer(SELF))
        assert r.status_code == 422, query
        assert_conforms(api.spec, "GET", MINE, r)


def test_a_page_written_with_pythons_digit_separator_is_a_422(api: Api) -> None:
    """Pydantic reads the text "1_0" as Python does, 10: no one means it in a count."""
    for query in ("limit=1_0", "offset=0_1"):
        r = api.client.get(f"{MINE}?{query}", headers=bearer(SELF))
        assert r.status_code == 422 and "written in digits" in r.text, query
        assert_conforms(api.spec, "GET", MINE, r)


def test_the_same_file_again_is_replayed_and_changed_content_is_a_409(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    again = api.file(BACH_MAI, claim_file([visit(OWN)]))
    assert (again.status_code, again.json()["replayed"]) == (201, True)
    # Filed once: the file sent again (its answer lost) is not a second filing in their log.
    assert api.log(OWN).count(("bach-mai", "visit.file", "allowed")) == 1
    changed = api.file(BACH_MAI, claim_file([visit(OTHER, "LK-2"),
                                             visit(OWN, NGAY_RA="202603021100")]))
    assert changed.status_code == 409, changed.text
    [error] = changed.json()["errors"]
    assert (error["row"], error["field"]) == (2, "NGAY_RA")
    national = Officer("auditor", "civil", None, frozenset({"auditor"}))
    assert api.of(national, OTHER).json()["visits"] == []  # the whole file refused


def test_two_files_in_one_request_are_refused_and_neither_is_filed(api: Api) -> None:
    """``curl -F file=@a.xml -F file=@b.xml``: FastAPI read the last file only, and the 201
    said nothing of the first, never filed."""
    r = api.client.post(FILE, headers=bearer(BACH_MAI), files=[
        ("file", ("a.xml", claim_file([visit(OWN)]), "application/xml")),
        ("file", ("b.xml", claim_file([visit(OWN, "LK-2")]), "application/xml"))])
    assert_conforms(api.spec, "POST", FILE, r)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "file", "reason": (
        "the request holds 2 parts named file; one file is read a request: send each in a "
        "request of its own")}]
    assert api.mine(SELF).json()["total"] == 0
    assert api.client.post(FILE, files=[("file", ("a.xml", b"<x/>")), ("file", (
        "b.xml", b"<x/>"))]).status_code == 401  # who asks is known first


def test_a_bad_record_is_a_422_by_record_and_field_and_nothing_is_kept(api: Api) -> None:
    r = api.file(BACH_MAI, claim_file([visit(OWN), visit(OTHER, "LK-2", T_BHTT="12.555")]))
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "T_BHTT")]
    assert api.mine(SELF).json()["visits"] == []
    assert ("bach-mai", "visit.file", "refused") in api.log(OWN)


def test_a_file_that_is_not_xml_is_a_422_naming_the_file(api: Api) -> None:
    r = api.file(BACH_MAI, b"MA_LK,SO_CCCD\n1,2\n")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"


def test_a_hospital_files_for_its_own_facility_only(api: Api) -> None:
    other = api.file(Hospital("cho-ray", "79001"), claim_file([visit(OWN)]))
    assert other.status_code == 403 and "facility 79001 only" in other.json()["detail"]
    unnamed = api.file(Hospital("bach-mai"), claim_file([visit(OWN)]))
    assert unnamed.status_code == 403 and "names no health facility" in unnamed.json()["detail"]
    assert api.file(CLERK, claim_file([visit(OWN)])).status_code == 403
    assert api.mine(SELF).json()["visits"] == []


def test_a_defence_person_is_unknown_to_a_civil_hospital_and_the_attempt_is_logged(
        api: Api) -> None:
    r = api.file(BACH_MAI, claim_file([visit(HIDDEN)]))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"row": 1, "field": "SO_CCCD", "reason":
                                   f"no registered person with personal ID {HIDDEN}"}]
    assert ("bach-mai", "visit.file", "refused") in api.log(HIDDEN)


def test_employers_and_hospitals_read_no_visit_and_others_are_not_found(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    assert api.of(EmployerUnit("acme", UNIT_A), OWN).status_code == 403
    assert api.of(BACH_MAI, OWN).status_code == 403
    assert api.mine(BACH_MAI).status_code == 403
    assert api.of(Citizen(OTHER, 2), OWN).status_code == 404
    assert api.of(Officer("mod", "defence", None, frozenset({"clerk"})), OWN).status_code == 404
    assert api.mine(Citizen(OWN, 1)).status_code == 403  # level 1: no personal data


def test_a_hospital_credential_with_its_facility_code_files_through_a_real_token(
        api: Api) -> None:
    with unit_of_work(api.engine) as s:
        secret = credentials.create_client(session=s, client=credentials.NewClient(
            "bv-bach-mai", "hospital", unit_code="01001"))
    token = api.client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": "bv-bach-mai",
        "client_secret": secret}).json()["access_token"]
    r = api.file({"Authorization": f"Bearer {token}"}, claim_file([visit(OWN)]))
    assert r.status_code == 201, r.text
    with unit_of_work(api.engine) as s:
        filer = s.scalar(select(metadata.tables["hi_visits"].c.filed_by))
        logged = s.scalars(select(AccessLogEntry.actor_id)
                           .where(AccessLogEntry.action == "visit.file")).all()
    assert filer == "bv-bach-mai" and logged == ["bv-bach-mai"]


def test_a_hospital_credential_names_a_five_digit_facility(api: Api) -> None:
    with pytest.raises(ValidationError, match="5-digit facility code"), \
            unit_of_work(api.engine) as s:
        credentials.create_client(session=s, client=credentials.NewClient(
            "bv-x", "hospital", unit_code="BV-01"))


def test_a_hospital_annuls_its_visit_the_citizen_no_longer_sees_it_and_officers_see_it_annulled(
        api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN), visit(OWN, "LK-2")]))
    r = api.annul(BACH_MAI)
    assert r.status_code == 201, r.text
    assert (r.json()["annulled"], r.json()["annulled_by"], r.json()["replayed"]) == (
        True, "bach-mai", False)
    assert [v["link_code"] for v in api.mine(SELF).json()["visits"]] == ["LK-2"]
    assert api.mine(SELF).json()["total"] == 1
    assert [v["link_code"] for v in api.of(SELF, OWN).json()["visits"]] == ["LK-2"]
    officers = {v["link_code"]: v["annulment"] for v in api.of(CLERK, OWN).json()["visits"]}
    assert officers["LK-2"] is None and officers["LK-1"]["reason"] == "another patient's claim"
    assert ("bach-mai", "visit.annul", "allowed") in api.log(OWN)


def test_annulling_again_is_replayed_and_the_key_is_not_filed_again(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    first = api.annul(CLERK).json()
    again = api.annul(BACH_MAI, reason="changed my mind")
    assert (again.status_code, again.json()) == (201, {**first, "replayed": True})
    refiled = api.file(BACH_MAI, claim_file([visit(OWN)]))
    assert refiled.status_code == 409
    [error] = refiled.json()["errors"]
    assert error["field"] == "MA_LK" and "annulled" in error["reason"]


def test_a_visit_is_annulled_by_its_codes_pasted_with_spaces_around_them(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    r = api.annul(BACH_MAI, link=" LK-1\t", facility=" 01001 ", reason=" wrong patient ")
    assert r.status_code == 201, r.text
    assert (r.json()["link_code"], r.json()["facility_code"], r.json()["reason"]) == (
        "LK-1", "01001", "wrong patient")


def test_an_unknown_or_unseen_visit_is_a_404_naming_no_person(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    unknown = api.annul(CLERK, link="LK-9")
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": [{
        "field": "link_code", "reason": "no visit with MA_LK 'LK-9' at facility 01001"}]}
    elsewhere = Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))
    defence = Officer("mod", "defence", None, frozenset({"clerk"}))
    for who in (elsewhere, defence):
        r = api.annul(who)
        assert (r.status_code, r.json()) == (404, {"errors": [{
            "field": "link_code", "reason": "no visit with MA_LK 'LK-1' at facility 01001"}]}), who
    assert ("hcm-clerk", "visit.annul", "not_found") in api.log(OWN)
    assert api.mine(SELF).json()["total"] == 1


def test_a_hospital_annuls_its_own_facilitys_visits_only_and_auditors_none(api: Api) -> None:
    api.file(BACH_MAI, claim_file([visit(OWN)]))
    other = api.annul(Hospital("cho-ray", "79001"))
    assert other.status_code == 403 and "own facility's visits only" in other.json()["detail"]
    auditor = Officer("auditor", "civil", None, frozenset({"auditor"}))
    assert api.annul(auditor).status_code == 403
    assert api.annul(SELF).status_code == 403
    assert api.annul(CLERK, reason=" ").status_code == 422
    assert api.mine(SELF).json()["total"] == 1


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_a_file_written_in_utf16_or_utf32_with_its_mark_is_filed(api: Api, codec: str) -> None:
    """As Windows tools save XML: a byte order mark, then a declaration naming the encoding
    (UTF-32 was "not well-formed (invalid token)")."""
    data = claim_file([visit(OWN)]).decode().replace('encoding="utf-8"',
                                                     f'encoding="{codec.upper()}"')
    filed = api.file(BACH_MAI, data.encode(codec))
    assert filed.status_code == 201, filed.text
    assert api.of(CLERK, OWN).json()["total"] == 1
