"""A health facility's claim files (``POST /visits``) share its failed HI checks' budget
(``access.hi_checks``): each record naming a person not as registered (another name, an ID
nobody holds or a ministry's person's, a card not theirs) is one guess of whose an ID is, as a
failed HI check is. Past the budget every file and check is a 429 with Retry-After; accepted
files and files refused for other reasons count nothing; an operator's import is not limited.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner

from sibook.access import audit, credentials
from sibook.access.principals import Hospital
from sibook.access.settings import get_access_settings
from sibook.access.store import LoginFailures
from sibook.cli.main import app as cli
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from sibook.ids import make_personal_id
from sibook.registry import service
from sibook.registry.new_person import NewPerson
from tests.e2e.test_access_matrix import OPENAPI, bearer
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.servers import app_on, configured_for
from tests.visit_files import claim_file, summary

FILE, CHECK = "/api/v1/visits", "/api/v1/hi-cards/{personal_id}/validity"
PATIENT = make_personal_id("001", date(1985, 3, 2), "male", 12345)
SOLDIER = make_personal_id("001", date(1985, 1, 1), "male", 777)  # defence realm
NOBODY = make_personal_id("001", date(1985, 1, 1), "male", 999)
CARDS = {PATIENT: "DN4010101234567", SOLDIER: "QN5010101234568"}
BACH_MAI = Hospital("bach-mai", "01001")
LIMIT = 3  # failures an hour, not the 60 a hospital gets, to keep the tests short


@dataclass
class Api:
    client: TestClient
    engine: Engine
    ids: dict[str, int]

    def file(self, *records: dict[str, str], who: Hospital = BACH_MAI) -> httpx2.Response:
        r = self.client.post(FILE, headers=bearer(who), files={
            "file": ("claims.xml", claim_file(list(records), who.facility_code or ""),
                     "application/xml")})
        assert_conforms(OPENAPI, "POST", FILE, r)
        return r

    def check(self, number: str) -> httpx2.Response:
        r = self.client.get(CHECK.format(personal_id=number), headers=bearer(BACH_MAI))
        assert_conforms(OPENAPI, "GET", CHECK, r)
        return r

    def refused_filings(self, personal_id: str) -> int:
        with unit_of_work(self.engine) as s:
            return sum(e.action == "visit.file" and e.outcome == "refused"
                       for e in audit.entries_for_person(session=s,
                                                         person_id=self.ids[personal_id]))


def record(pid: str = PATIENT, link: str = "LK-1", **fields: str) -> dict[str, str]:
    """A record of ``pid``'s visit, named and carded as registered unless ``fields`` say not."""
    return summary(**{"SO_CCCD": pid, "HO_TEN": f"Person {pid}",
                      "MA_THE_BHYT": CARDS.get(pid, "DN4010109999999"), "MA_LK": link,
                      **fields})


@pytest.fixture
def api(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """A civil patient and a soldier, each with a card valid in 2026."""
    with configured_for(engine, tmp_path / "keys", monkeypatch):
        monkeypatch.setenv("SIBOOK_HI_CHECK_FAILURES_PER_HOUR", str(LIMIT))
        get_access_settings.cache_clear()
        ids = {}
        with unit_of_work(engine) as s:
            for pid, realm in ((PATIENT, "civil"), (SOLDIER, "defence")):
                ids[pid] = service.register_person(session=s, person=NewPerson(
                    personal_id=pid, full_name=f"Person {pid}", birth_date=date(1985, 1, 1),
                    sex="male", birth_registration_place="001", realm=realm))
                card = CARDS[pid]
                s.execute(insert(metadata.tables["hi_cards"]).values(
                    person_id=ids[pid], seq=1, card_number=card, group_code=card[:2],
                    benefit_level=int(card[2]), province_code="01", initial_kcb_place="01001",
                    valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)))
        yield Api(TestClient(app_on(engine), raise_server_exceptions=False), engine, ids)


def assert_stopped(r: httpx2.Response) -> None:
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["Retry-After"]) <= 3601
    assert r.json() == {"detail": "too many requests; try again later"}


def test_records_naming_a_person_not_as_registered_spend_the_hi_checks_budget(
        api: Api) -> None:
    """Two records (another name; a ministry's person) and a failed HI check are the three
    allowed: then a right file and a right check are both 429, until an officer unlocks."""
    refused = api.file(record(HO_TEN="Trần Thị Bình"), record(SOLDIER, "LK-2"))
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [
        (1, "HO_TEN"), (2, "SO_CCCD")]
    assert api.check(NOBODY).status_code == 404
    assert_stopped(api.file(record()))
    assert_stopped(api.check(PATIENT))
    assert api.file(record(MA_CSKCB="01002"), who=Hospital("bv-01002", "01002")
                    ).status_code == 201  # another facility's budget is its own
    with unit_of_work(api.engine) as s:
        assert credentials.unlock(session=s, client_id="bach-mai") == 1
    assert api.file(record()).status_code == 201


def test_failed_hi_checks_stop_the_facilitys_claim_files(api: Api) -> None:
    for _ in range(LIMIT):
        assert api.check(NOBODY).status_code == 404
    assert_stopped(api.file(record()))


def test_a_file_with_more_such_records_than_are_left_is_a_429_answered_up_to_them(
        api: Api) -> None:
    """Its records are checked in order until the one past the budget, as checks one at a time
    would be stopped there: the facility learns what to mend so far, and every record's own
    problems, never whether the names after it are right (a file holds up to 20,000: as many
    names confirmed at once). Each person named finds the refused filing in their log."""
    assert api.check(NOBODY).status_code == 404  # two left
    r = api.file(record(HO_TEN="Trần Thị Bình"), record(NOBODY, "LK-2"),
                 record(link="LK-3", MA_THE_BHYT="DN4010109999999"),
                 record(NOBODY, "LK-4", MA_LOAI_KCB="99"))
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["Retry-After"]) <= 3601
    assert "record 3 is one past" in r.json()["detail"]
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [
        (1, "HO_TEN"), (2, "SO_CCCD"), (4, "MA_LOAI_KCB")]  # not 3's card, nor 4's ID
    assert api.refused_filings(PATIENT) == 1
    assert_stopped(api.file(record()))


def test_accepted_replayed_and_otherwise_refused_files_count_nothing(api: Api) -> None:
    """Then a file with as many such records as the budget is still answered record by
    record (its last guess answered, as the HI check's is), and the next file is stopped."""
    assert api.file(record()).status_code == 201
    for _ in range(LIMIT + 1):
        again = api.file(record())
        assert (again.status_code, again.json()["replayed"]) == (201, True)
        assert api.file(record(link="LK-2", T_BHTT="12.555")).status_code == 422
        assert api.file(record(link="LK-3", NGAY_VAO="202512310800",
                               NGAY_RA="202512310900")).status_code == 422  # card not valid
        assert api.file(record(link="LK-4", MA_LOAI_KCB="99")).status_code == 422
    r = api.file(*(record(NOBODY, f"LK-{n}") for n in range(5, 5 + LIMIT)))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"SO_CCCD"}
    assert_stopped(api.file(record(link="LK-9")))


def test_the_operators_import_is_not_limited(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "claims.xml"
    path.write_bytes(claim_file([record(NOBODY, f"LK-{n}") for n in range(LIMIT + 1)]))
    for _ in range(2):
        result = CliRunner().invoke(cli, ["visits", "import", str(path), "--json"])
        assert result.exit_code == 1
        assert len(json.loads(result.stdout)["errors"]) == LIMIT + 1
    with unit_of_work(api.engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailures)) == 0


def test_files_sent_at_once_are_stopped_at_the_limit(api: Api) -> None:
    """A facility's files take turns once read, each judged on the records counted before
    it: judged side by side, guesses sent at once would all find the budget unspent."""
    assert api.file(record()).status_code == 201  # the server's token key made, before the race
    go = threading.Barrier(8)

    def guess(n: int) -> int:
        go.wait()
        return api.file(record(NOBODY, f"LK-{n + 2}")).status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(guess, range(8)))
    assert answers == [422] * LIMIT + [429] * (8 - LIMIT)
