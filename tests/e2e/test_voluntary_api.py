"""Voluntary participants' payments over HTTP: clerks record them for the persons in their
scope (from the collector's receipt; never the payer), a citizen reads their own, defence
persons stay absent for civil officers, employers have no part; every answer is one the OpenAPI
declares and every read of a person is logged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from sibook.access import ratelimit
from sibook.access.principals import Citizen, EmployerUnit, Hospital, Officer, Principal
from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.api.app import create_app
from sibook.core.db import make_engine, unit_of_work
from sibook.core.period import Period
from sibook.ids import make_personal_id
from sibook.registry import reading, service
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import VoluntaryStart, register
from sibook.rules import voluntary_dues
from tests.databases import migrated_sqlite
from tests.e2e.test_access_matrix import bearer
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.servers import app_on

TODAY = date.today()
START = Period.of(TODAY) - 2  # three voluntary months up to this one
# A month's dues of a participant registered naming no support group: an "other" (20%).
FULL = voluntary_dues(month=Period.of(TODAY), salary=3_000_000, support="other").employee.total
BINH = make_personal_id("001", date(1995, 5, 2), "female", 4321)
CHI = make_personal_id("001", date(1996, 6, 3), "female", 4322)  # a voluntary neighbour
DUNG = make_personal_id("001", date(1990, 1, 1), "male", 4323)  # never voluntary
QUAN = make_personal_id("001", date(1985, 1, 1), "male", 4324)  # defence realm, voluntary
PATH = "/api/v1/persons/{personal_id}/voluntary-payments"
SPEC = create_app().openapi()

BINH_SELF = Citizen(BINH, 2)
CLERK = Officer("hn-clerk", "civil", "01", frozenset({"clerk"}))
OTHER_CLERK = Officer("hn-clerk-2", "civil", "01", frozenset({"clerk"}))
AUDITOR = Officer("auditor", "civil", None, frozenset({"auditor"}))
DEFENCE_CLERK = Officer("mod-clerk", "defence", None, frozenset({"clerk"}))


@dataclass
class Api:
    client: TestClient
    engine: Engine

    def post(self, who: Principal, pid: str, amount: int = FULL, reference: str = "VNPT-1",
             paid_on: date = TODAY) -> httpx2.Response:
        r = self.client.post(PATH.format(personal_id=pid), headers=bearer(who), json={
            "amount": amount, "reference": reference, "paid_on": paid_on.isoformat()})
        assert_conforms(SPEC, "POST", PATH, r)
        return r

    def get(self, who: Principal, pid: str) -> httpx2.Response:
        r = self.client.get(PATH.format(personal_id=pid), headers=bearer(who))
        assert_conforms(SPEC, "GET", PATH, r)
        return r

    def log(self, pid: str) -> list[tuple[str, str, str]]:
        with unit_of_work(self.engine) as s:
            person_id = reading.person_id_of(session=s, personal_id=pid,
                                             realm="defence" if pid == QUAN else "civil")
            return [tuple(r) for r in s.execute(
                select(AccessLogEntry.actor_id, AccessLogEntry.action, AccessLogEntry.outcome)
                .where(AccessLogEntry.person_id == person_id)
                .order_by(AccessLogEntry.seq))]


def _people(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        for pid, born, sex, realm, voluntary in (
                (BINH, date(1995, 5, 2), "female", "civil", True),
                (CHI, date(1996, 6, 3), "female", "civil", True),
                (DUNG, date(1990, 1, 1), "male", "civil", False),
                (QUAN, date(1985, 1, 1), "male", "defence", True)):
            register(session=s, person=NewPerson(
                personal_id=pid, full_name=f"Person {pid}", birth_date=born, sex=sex,
                birth_registration_place="001", realm=realm),
                population=LocalPopulationRegistry(s), require_match=False,
                voluntary=VoluntaryStart(3_000_000, None, START) if voluntary else None,
                today=START.first_day, managing_office="79000" if pid == CHI else "01000")
        service.add_household(session=s, household=NewHousehold(  # Bình lives in Hà Nội
            code="HN-V", address="Hà Nội", province_code="01",
            members=(HouseholdMemberIn(BINH, "chủ hộ"), HouseholdMemberIn(DUNG, "con"))))


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_access_settings.cache_clear()
    ratelimit.reset()
    engine = make_engine(migrated_sqlite(tmp_path / "voluntary.db"))
    _people(engine)
    yield Api(TestClient(app_on(engine), raise_server_exceptions=False), engine)
    engine.dispose()
    get_access_settings.cache_clear()


def test_a_clerk_records_a_payment_and_the_citizen_reads_their_own_months(api: Api) -> None:
    posted = api.post(CLERK, BINH, amount=2 * FULL + 1_000)
    assert posted.status_code == 201, posted.text
    answer = posted.json()
    assert answer["allocated"] == [{"month": str(START), "amount": FULL},
                                   {"month": str(START + 1), "amount": FULL},
                                   {"month": str(START + 2), "amount": 1_000}]
    assert (answer["posted"], answer["replayed"], answer["credit"]) == (True, False, 0)
    statement = api.get(BINH_SELF, BINH).json()
    assert [m["status"] for m in statement["months"]] == ["paid", "paid", "partly_paid"]
    assert statement["summary"]["amount_paid"] == 2 * FULL + 1_000
    assert [p["reference"] for p in statement["payments"]] == ["VNPT-1"]


def test_a_citizen_cannot_record_a_payment_not_even_their_own(api: Api) -> None:
    """A payer who could post their own payment could buy SI months with a claim."""
    assert api.post(BINH_SELF, BINH).status_code == 403
    assert api.get(BINH_SELF, BINH).json()["payments"] == []


def test_a_citizen_cannot_read_someone_elses(api: Api) -> None:
    assert api.get(BINH_SELF, CHI).status_code == 404


def test_a_level_1_sign_in_an_employer_and_a_hospital_are_forbidden(api: Api) -> None:
    for who in (Citizen(BINH, 1), EmployerUnit("acme", "0100000116"), Hospital("bach-mai")):
        assert api.post(who, BINH).status_code == 403
        assert api.get(who, BINH).status_code == 403


def test_a_clerk_records_payments_in_scope_and_an_auditor_only_reads(api: Api) -> None:
    assert api.post(CLERK, BINH).status_code == 201
    assert api.post(CLERK, CHI).status_code == 404  # in no household of Hà Nội
    assert api.post(AUDITOR, BINH).status_code == 403
    assert api.get(AUDITOR, CHI).status_code == 200


def test_a_defence_person_is_absent_for_civil_officers_and_paid_for_by_their_own(api: Api
                                                                                 ) -> None:
    for who in (CLERK, AUDITOR):
        assert api.get(who, QUAN).status_code == 404
    assert api.post(CLERK, QUAN).status_code == 404
    assert api.post(DEFENCE_CLERK, QUAN).status_code == 201
    assert api.post(DEFENCE_CLERK, BINH).status_code == 404
    assert ("hn-clerk", "voluntary.pay", "not_found") in api.log(QUAN)


def test_the_same_reference_again_is_one_payment_and_another_amount_a_409(api: Api) -> None:
    first = api.post(CLERK, BINH)
    again = api.post(CLERK, BINH, reference="vnpt-1")
    assert again.status_code == 201 and again.json() == {**first.json(), "replayed": True}
    other = api.post(CLERK, BINH, amount=FULL + 1)
    assert other.status_code == 409
    (problem,) = other.json()["errors"]
    assert problem["field"] == "amount" and "already posted" in problem["reason"]
    moved = api.post(CLERK, BINH, paid_on=TODAY - timedelta(days=1))
    assert (moved.status_code, moved.json()["errors"][0]["field"]) == (409, "paid_on")
    assert len(api.get(BINH_SELF, BINH).json()["payments"]) == 1


def test_refusals_name_the_field_and_are_logged(api: Api) -> None:
    never = api.post(CLERK, DUNG)
    assert never.status_code == 422 and never.json()["errors"][0]["field"] == "personal_id"
    # Two days on: TODAY was read at collection, and the suite may run past midnight.
    future = api.post(CLERK, BINH, paid_on=TODAY + timedelta(days=2))
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "paid_on"
    early = api.post(CLERK, BINH, paid_on=(START - 12).first_day - timedelta(days=1))
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "paid_on"
    control = api.post(CLERK, BINH, reference="VNPT\x01")
    assert control.status_code == 422 and control.json()["errors"][0]["field"] == "reference"
    assert api.post(CLERK, BINH, amount=0).status_code == 422  # the schema's own check
    assert ("hn-clerk", "voluntary.pay", "refused") in api.log(DUNG)
    assert api.get(BINH_SELF, BINH).json()["payments"] == []


def test_every_read_and_payment_is_in_the_persons_access_log(api: Api) -> None:
    api.post(CLERK, BINH)
    api.get(AUDITOR, BINH)
    assert api.log(BINH) == [("hn-clerk", "voluntary.pay", "allowed"),
                             ("auditor", "voluntary.read", "allowed")]


def test_a_payment_posted_again_by_another_clerk_is_in_the_persons_log(api: Api) -> None:
    """Its answer is that payment and the months it paid: a replay, however it changes
    nothing, is a read of them, logged naming who sent it (as every replay's answer is)."""
    first = api.post(CLERK, BINH)
    again = api.post(OTHER_CLERK, BINH)
    assert again.status_code == 201 and again.json()["replayed"] is True, again.text
    assert api.log(BINH) == [("hn-clerk", "voluntary.pay", "allowed"),
                             ("hn-clerk-2", "voluntary.pay", "allowed")], first.text


LEDGER = "/api/v1/persons/{personal_id}/ledger"


def test_the_ledger_shows_a_participants_voluntary_months_as_declared(api: Api) -> None:
    """Paid, partly paid and unpaid voluntary months, read by a clerk and by the citizen."""
    api.post(CLERK, BINH, amount=FULL + 1_000)
    for who in (CLERK, BINH_SELF):
        r = api.client.get(LEDGER.format(personal_id=BINH), headers=bearer(who))
        assert r.status_code == 200, r.text
        assert_conforms(SPEC, "GET", LEDGER, r)
        ledger = r.json()
        assert [(m["kind"], m["status"], m["paid"]) for m in ledger["months"]] == [
            ("voluntary", "paid", FULL), ("voluntary", "partly_paid", 1_000),
            ("voluntary", "unpaid", 0)]
        assert (ledger["summary"]["voluntary_credit"], ledger["summary"]["months"]) == (0, 3)


def test_a_clerk_starts_voluntary_si_for_a_registered_person(api: Api) -> None:
    """At the SI office: Dũng, registered and never voluntary, starts this month; the same
    start sent again (by another clerk) is its first answer, written once, its read logged
    again; then he participates, so
    another start is refused; a ministry's person is not the civil SI's."""
    path = "/api/v1/persons/{personal_id}/voluntary"
    body = {"income": 3_000_000, "support_group": "other"}

    def start(who: Principal, pid: str, **other: object) -> httpx2.Response:
        r = api.client.post(path.format(personal_id=pid), headers=bearer(who),
                            json={**body, **other})
        assert_conforms(SPEC, "POST", path, r)
        return r

    r = start(CLERK, DUNG)
    assert r.status_code == 201, r.text
    assert (r.json()["participant_type"], r.json()["replayed"]) == ("voluntary", False)
    assert r.json()["voluntary"]["monthly_payable"] == 660_000 - 66_000  # 22%, less 20% support
    logged = api.log(DUNG)
    assert logged == [("hn-clerk", "person.register", "allowed")]
    again = start(OTHER_CLERK, DUNG, from_month=str(Period.of(TODAY)))
    assert again.status_code == 201, again.text
    assert again.json() == {**r.json(), "replayed": True}
    # A replay changes nothing, but its answer is Dũng's start: logged, naming who got it.
    assert api.log(DUNG) == [*logged, ("hn-clerk-2", "person.register", "allowed")]
    other = start(CLERK, DUNG, income=4_000_000, support_group="poor", managing_office="01001")
    assert other.status_code == 409, other.text
    assert [e["field"] for e in other.json()["errors"]] == [
        "income", "support_group", "managing_office"]
    later = start(CLERK, DUNG, from_month=str(Period.of(TODAY) + 1))
    assert later.status_code == 422 and "already participates" in later.text
    assert start(BINH_SELF, DUNG).status_code == 403
    kept = start(DEFENCE_CLERK, QUAN)
    assert kept.status_code == 409, kept.text
    assert kept.json()["errors"][0]["field"] == "personal_id"  # as every 409 names its field


def test_a_clerk_naming_no_support_group_starts_it_as_other(api: Api) -> None:
    """Decree 159/2025 supports every voluntary participant, "others" at 20%: a start naming
    no group is ``other``, 66,000 a month off the 22% for the 120 months, not charged in full."""
    r = api.client.post(f"/api/v1/persons/{DUNG}/voluntary", headers=bearer(CLERK),
                        json={"income": 3_000_000})
    assert r.status_code == 201, r.text
    opened = r.json()["voluntary"]
    assert (opened["monthly_payable"], opened["state_support"],
            opened["support_months_left"]) == (660_000 - 66_000, 66_000, 120)
    assert ("hn-clerk", "person.register", "allowed") in api.log(DUNG)


def test_an_officers_start_naming_no_office_is_refused_naming_managing_office(api: Api
                                                                             ) -> None:
    """The officer's body names ``managing_office`` (the citizen's, ``province_code``): a
    refusal of it names the field sent."""
    path = "/api/v1/persons/{personal_id}/voluntary"
    national = Officer("vss-clerk", "civil", None, frozenset({"clerk"}))
    r = api.client.post(path.format(personal_id=DUNG), headers=bearer(national),
                        json={"income": 3_000_000, "managing_office": "99000"})
    assert_conforms(SPEC, "POST", path, r)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["managing_office"]


def test_a_citizens_refused_join_is_in_their_access_log(api: Api) -> None:
    """Joining checks the citizen's record (their periods): refused, that read is logged as the
    officer's refused start is, so the log shows every look at the record."""
    r = api.client.post("/api/v1/me/voluntary", headers=bearer(BINH_SELF),
                        json={"income": 3_000_000, "province_code": "01"})
    assert_conforms(SPEC, "POST", "/api/v1/me/voluntary", r)
    assert r.status_code == 422 and "already participates" in r.text
    assert api.log(BINH)[-1] == (BINH, "voluntary.join", "refused")
