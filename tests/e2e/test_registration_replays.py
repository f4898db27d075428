"""A registration sent again after its answer was lost (a crash, a timeout, a re-upload), on
SQLite and PostgreSQL: the same content is answered as the first was (201, ``replayed``) and
changes nothing (no row, book version or ledger entry), but its answer, a person's record, is
in that person's access log, naming whoever sent it again (a unit's register is public: not
logged); the same number or code with other content is a 409 naming each field that differs,
and a household code is the 409 a unit code is. The CLI's `employers add` and `persons
register` alike (exit 0, exit 1)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sibook.access import audit
from sibook.access.principals import Citizen, Officer, Principal
from sibook.cli.context import operator_id
from sibook.cli.main import app as cli
from sibook.core.period import Period
from sibook.registry import reading
from tests.e2e.test_access_matrix import OPENAPI, OTHER, OWN, PRINCIPALS, UNIT_A, _populate, bearer
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.e2e.test_worker_registration_api import NEW, worker
from tests.servers import app_on, configured_for

WORKERS = "/api/v1/employers/{code}/workers"
ANOTHER_CLERK = Officer("hn-clerk-2", "civil", "01", frozenset({"clerk"}))
WRITTEN = ("persons", "si_books", "book_versions", "si_periods", "hi_cards", "declarations",
           "ledger_entries", "access_log", "employers", "employer_payment_cycles", "households",
           "household_members")


@pytest.fixture
def configured(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Engine]:
    """``engine`` holding the access matrix's people and units, the CLI's database too."""
    with configured_for(engine, tmp_path / "keys", monkeypatch):
        _populate(engine)
        yield engine


@pytest.fixture
def client(configured: Engine) -> TestClient:
    return TestClient(app_on(configured), raise_server_exceptions=False)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in WRITTEN}


def readers(engine: Engine, personal_id: str) -> list[tuple[str, str, str]]:
    """Who did what, with what outcome, in each entry of the person's access log, oldest
    first (an entry naming several persons too)."""
    with Session(engine) as session:
        person_id = reading.person_ids_of(session=session, personal_ids=[personal_id])[0]
        return [(e.actor_id, e.action, e.outcome) for e in reversed(
            audit.entries_for_person(session=session, person_id=person_id))]


def logged_once(before: dict[str, int]) -> dict[str, int]:
    """The counts ``before``, one access-log entry added: a replay changes nothing but logs
    the read its answer is."""
    return {**before, "access_log": before["access_log"] + 1}


def sent_twice(client: TestClient, engine: Engine, route: str, who: Principal,
               body: dict[str, Any], *, read_by: Principal | None = None,
               subjects: tuple[str, ...] = (), **path: str) -> dict[str, Any]:
    """The first answer to ``body`` posted to ``route`` (its ``path`` parameters filled) by
    ``who``, once the same sent again by ``read_by`` (``who`` by default) has been answered
    with it (201, ``replayed``, as the OpenAPI declares) and has changed nothing, but each
    of ``subjects`` (personal IDs) finds it in their access log, one entry naming its sender
    as the first is."""
    first = client.post(route.format(**path), headers=bearer(who), json=body)
    assert first.status_code == 201, first.text
    assert first.json()["replayed"] is False
    before, logs = counts(engine), {p: readers(engine, p) for p in subjects}
    sender = read_by or who
    again = client.post(route.format(**path), headers=bearer(sender), json=body)
    assert again.status_code == 201, again.text
    assert_conforms(OPENAPI, "POST", route, again)
    assert again.json() == {**first.json(), "replayed": True}
    assert counts(engine) == (logged_once(before) if subjects else before)
    for subject, log in logs.items():
        assert readers(engine, subject) == [*log, (sender.actor_id, *log[-1][1:])], subject
    answer: dict[str, Any] = first.json()
    return answer


def refused(answer: Any, path: str) -> list[tuple[str, str]]:
    assert answer.status_code == 409, answer.text
    assert_conforms(OPENAPI, "POST", path, answer)
    return [(e["field"], e["reason"]) for e in answer.json()["errors"]]


@pytest.mark.parametrize("again_by", ["employer_a", "clerk_hanoi"])
def test_a_worker_registered_again_is_answered_as_the_first_and_logged_as_read(
        client: TestClient, configured: Engine, again_by: str) -> None:
    """Its answer is the worker's book and HI card: the worker sees who was given it again,
    the unit or an officer (the review's finding: a replay answered them unlogged)."""
    sent_twice(client, configured, WORKERS, PRINCIPALS["employer_a"], worker(),
               read_by=PRINCIPALS[again_by], subjects=(NEW,), code=UNIT_A)


def test_a_worker_registered_again_on_another_salary_is_a_409_naming_salary(
        client: TestClient, configured: Engine) -> None:
    employer, path = bearer(PRINCIPALS["employer_a"]), WORKERS.format(code=UNIT_A)
    assert client.post(path, headers=employer, json=worker()).status_code == 201
    before = counts(configured)
    again = client.post(path, headers=employer, json=worker(salary=9_500_000))
    assert [f for f, _ in refused(again, WORKERS)] == ["salary"]
    assert counts(configured)["persons"] == before["persons"]


def test_a_worker_registered_again_under_another_name_names_that_field_only(
        client: TestClient) -> None:
    employer, path = bearer(PRINCIPALS["employer_a"]), WORKERS.format(code=UNIT_A)
    assert client.post(path, headers=employer, json=worker()).status_code == 201
    again = client.post(path, headers=employer, json=worker(full_name="Lê Thị Hòa"))
    # Was also from_month, "filed for another month": the start line holds the name.
    assert [f for f, _ in refused(again, WORKERS)] == ["full_name"]
    spaced = client.post(path, headers=employer, json=worker(full_name="Lê Thị Hoa "))
    assert spaced.status_code == 201 and spaced.json()["replayed"] is True, spaced.text


def test_a_worker_first_registered_with_stray_spaces_is_replayed_under_the_name_recorded(
        client: TestClient, configured: Engine) -> None:
    employer, path = bearer(PRINCIPALS["employer_a"]), WORKERS.format(code=UNIT_A)
    first = client.post(path, headers=employer, json=worker(full_name=" Lê Thị Hoa  "))
    assert first.status_code == 201, first.text
    before = counts(configured)
    # The registry records "Lê Thị Hoa"; the start line was filed under the name as typed,
    # so the name recorded found no filing and a false from_month refused the replay.
    again = client.post(path, headers=employer, json=worker())
    assert again.status_code == 201, again.text
    assert again.json() == {**first.json(), "replayed": True}
    assert counts(configured) == logged_once(before)
    raised = client.post(path, headers=employer, json=worker(salary=9_500_000))
    assert [f for f, _ in refused(raised, WORKERS)] == ["salary"]


def test_a_person_registered_again_with_two_fields_changed_names_both_and_no_value(
        client: TestClient) -> None:
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    assert client.post("/api/v1/persons", headers=clerk, json=person).status_code == 201
    again = client.post("/api/v1/persons", headers=clerk,
                        json={**person, "birth_date": "1996-04-06", "full_name": "Lê Thị Hòa"})
    named = refused(again, "/api/v1/persons")
    assert [f for f, _ in named] == ["full_name", "birth_date"]
    assert all("1996-04-05" not in reason and "Hoa" not in reason for _, reason in named)


def test_a_voluntary_registration_sent_again_answers_its_first_month(
        client: TestClient, configured: Engine) -> None:
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    body = {**person, "voluntary": {"income": 3_000_000, "support_group": "near_poor"}}
    sent_twice(client, configured, "/api/v1/persons", PRINCIPALS["clerk_hanoi"], body,
               read_by=ANOTHER_CLERK, subjects=(NEW,))
    other = client.post("/api/v1/persons", headers=clerk,
                        json={**body, "voluntary": {"income": 4_000_000}})
    assert [f for f, _ in refused(other, "/api/v1/persons")] == [
        "voluntary.income", "voluntary.support_group"]


def test_a_voluntary_registration_naming_no_group_is_other_and_sent_again_replays(
        client: TestClient, configured: Engine) -> None:
    """No ``support_group`` is ``other`` (Decree 159/2025 supports everyone, others at 20%):
    quoted 66,000 of support, and the same sent again, or naming ``other``, is the first."""
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    body = {**person, "voluntary": {"income": 3_000_000}}
    first = sent_twice(client, configured, "/api/v1/persons", PRINCIPALS["clerk_hanoi"], body,
                       subjects=(NEW,))
    assert (first["voluntary"]["state_support"], first["voluntary"]["monthly_payable"]) == (
        66_000, 594_000)
    named = client.post("/api/v1/persons", headers=clerk, json={
        **body, "voluntary": {"income": 3_000_000, "support_group": "other"}})
    assert named.status_code == 201 and named.json() == {**first, "replayed": True}
    poor = client.post("/api/v1/persons", headers=clerk, json={
        **body, "voluntary": {"income": 3_000_000, "support_group": "poor"}})
    assert [f for f, _ in refused(poor, "/api/v1/persons")] == ["voluntary.support_group"]


def test_a_voluntary_period_recorded_with_no_group_replays_a_resend_naming_none(
        client: TestClient, configured: Engine) -> None:
    """A period opened when naming no group meant no support recorded none (NULL): sent again
    naming none, as it was, the registration is answered as the record charges it (the whole
    22%); naming ``other`` is not what was recorded."""
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    body = {**person, "voluntary": {"income": 3_000_000}}
    assert client.post("/api/v1/persons", headers=clerk, json=body).status_code == 201
    with configured.begin() as conn:
        conn.execute(text(
            "UPDATE si_periods SET support_group = NULL WHERE kind = 'voluntary' AND person_id = "
            "(SELECT person_id FROM persons WHERE personal_id = :p)"), {"p": person["personal_id"]})
    before = counts(configured)
    again = client.post("/api/v1/persons", headers=clerk, json=body)
    assert again.status_code == 201, again.text
    assert again.json()["replayed"] is True and counts(configured) == logged_once(before)
    assert (again.json()["voluntary"]["state_support"],
            again.json()["voluntary"]["monthly_payable"]) == (0, 660_000)
    named = client.post("/api/v1/persons", headers=clerk, json={
        **body, "voluntary": {"income": 3_000_000, "support_group": "other"}})
    assert [f for f, _ in refused(named, "/api/v1/persons")] == ["voluntary.support_group"]


def test_a_number_sent_again_by_a_caller_who_cannot_see_its_holder_is_the_plain_409(
        client: TestClient) -> None:
    """A clerk of another province learns nothing of the worker unit A registered: not
    whether its identity is the one sent, nor which field is not."""
    assert client.post(WORKERS.format(code=UNIT_A), headers=bearer(PRINCIPALS["employer_a"]),
                       json=worker()).status_code == 201
    clerk_hcm = Officer("hcm-clerk", "civil", "79", frozenset({"clerk"}))
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    for body in (person, {**person, "birth_date": "1996-04-06"}):
        again = client.post("/api/v1/persons", headers=bearer(clerk_hcm), json=body)
        assert refused(again, "/api/v1/persons") == [
            ("personal_id", f"a person with personal ID {NEW} is already registered")]


def test_a_former_employers_registration_sent_again_is_the_plain_409(
        client: TestClient) -> None:
    """Once the worker has left, the unit that registered them is answered as any caller who
    cannot see them is: neither the voluntary SI they started since nor the office of another
    province that manages them now (which the 409 naming what differs said, with the values),
    nor whether a phone number guessed is theirs."""
    now = Period.of(date.today())
    unit, path = bearer(PRINCIPALS["employer_a"]), WORKERS.format(code=UNIT_A)
    started = worker(from_month=str(now - 6))
    assert client.post(path, headers=unit, json=started).status_code == 201
    left = f"personal_id,case_code,from_month\n{NEW},GH,{now - 2}\n".encode()
    assert client.post(f"/api/v1/employers/{UNIT_A}/declarations", headers=unit,
                       data={"month": str(now)}, files={"file": ("d.csv", left, "text/csv")}
                       ).status_code == 201
    national = bearer(Officer("clerk", "civil", None, frozenset({"clerk"})))
    assert client.post(f"/api/v1/persons/{NEW}/voluntary", headers=national, json={
        "income": 3_000_000, "managing_office": "79000"}).status_code == 201
    for body in (started, {**started, "phone": "0912345678"}):
        assert refused(client.post(path, headers=unit, json=body), WORKERS) == [
            ("personal_id", f"a person with personal ID {NEW} is already registered")]


def test_a_person_registered_again_names_a_different_office_without_the_recorded_one(
        client: TestClient) -> None:
    """The office managing a person is theirs to know, as their identity is: the 409 names the
    field, not the office recorded."""
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    assert client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                       json=person).status_code == 201
    national = bearer(Officer("clerk", "civil", None, frozenset({"clerk"})))
    again = client.post("/api/v1/persons", headers=national,
                        json={**person, "managing_office": "79000"})
    [(field, reason)] = refused(again, "/api/v1/persons")
    assert field == "managing_office" and "01000" not in reason, reason


def registered_at_the_counter(client: TestClient) -> None:
    """``NEW`` registered by a Hanoi clerk, participating in nothing yet."""
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    assert client.post("/api/v1/persons", headers=bearer(PRINCIPALS["clerk_hanoi"]),
                       json=person).status_code == 201


def test_a_voluntary_start_sent_again_by_another_clerk_is_in_the_persons_log(
        client: TestClient, configured: Engine) -> None:
    """Its answer is the person's start (income, what they pay, their book): the review found
    a replay answered it to another officer unlogged."""
    registered_at_the_counter(client)
    sent_twice(client, configured, "/api/v1/persons/{personal_id}/voluntary",
               PRINCIPALS["clerk_hanoi"], {"income": 3_000_000, "support_group": "other"},
               read_by=ANOTHER_CLERK, subjects=(NEW,), personal_id=NEW)


def test_a_citizens_join_sent_again_is_in_their_own_log(client: TestClient,
                                                        configured: Engine) -> None:
    """The form sent twice: the second answer reads the record as the first did, logged so."""
    registered_at_the_counter(client)
    sent_twice(client, configured, "/api/v1/me/voluntary", Citizen(NEW, 2),
               {"income": 3_000_000, "support_group": "other"}, subjects=(NEW,))


def test_a_unit_registered_again_is_replayed_and_with_another_name_refused_naming_it(
        client: TestClient, configured: Engine) -> None:
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    unit = {"code": "0109999981", "name": "Công ty Ba", "province_code": "01", "region": "I",
            "payment_cycle": "3", "payment_cycle_from": "2026-01"}
    sent_twice(client, configured, "/api/v1/employers", PRINCIPALS["clerk_hanoi"], unit)
    other = client.post("/api/v1/employers", headers=clerk,
                        json={**unit, "name": "Công ty Bốn", "payment_cycle_from": "2026-02"})
    assert refused(other, "/api/v1/employers") == [
        ("name", "employer 0109999981 was registered with name 'Công ty Ba', not 'Công ty Bốn'"),
        ("payment_cycle_from", "employer 0109999981 was registered with payment_cycle_from "
                               "'another month', not '2026-02'")]


def test_a_household_registered_again_is_replayed_and_with_another_address_a_logged_409(
        client: TestClient, configured: Engine) -> None:
    home = {"code": "HN9", "address": "Số 1 Hàng Bài", "province_code": "01",
            "members": [{"personal_id": OWN, "relation_to_head": "chủ hộ"}]}
    sent_twice(client, configured, "/api/v1/households", PRINCIPALS["clerk_hanoi"], home,
               read_by=ANOTHER_CLERK, subjects=(OWN,))
    other = client.post("/api/v1/households", headers=bearer(ANOTHER_CLERK),
                        json={**home, "address": "Số 2 Hàng Bài"})
    assert refused(other, "/api/v1/households") == [(  # the address recorded is never told
        "address", "household HN9 was registered with another address")]
    # Whether it is where they live is told of them: in the member's log, refused.
    assert readers(configured, OWN)[-1] == ("hn-clerk-2", "household.add", "refused")


def test_a_household_code_held_out_of_the_clerks_sight_is_the_plain_409(
        client: TestClient) -> None:
    """A clerk of another province, registering people of their own under a code a household
    of Hồ Chí Minh City holds, is not told which of its fields differ: the 409 naming the
    address or not confirmed a guess of where strangers live."""
    hcmc = bearer(Officer("hcm-clerk", "civil", "79", frozenset({"clerk"})))
    home = {"code": "HCM1", "address": "12 Lê Lợi, Quận 1", "province_code": "79",
            "members": [{"personal_id": OTHER, "relation_to_head": "chủ hộ"}]}
    assert client.post("/api/v1/households", headers=hcmc, json=home).status_code == 201
    hanoi = bearer(PRINCIPALS["clerk_hanoi"])
    for address in (home["address"], "13 Lê Lợi"):
        guess = client.post("/api/v1/households", headers=hanoi, json={
            **home, "address": address, "province_code": "01",
            "members": [{"personal_id": OWN, "relation_to_head": "chủ hộ"}]})
        assert refused(guess, "/api/v1/households") == [
            ("code", "household HCM1 is already registered")]


def cli_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_employers_add_run_again_exits_0_with_the_same_answer(configured: Engine) -> None:
    add = ("employers", "add", "--code", "0109999982", "--name", "Công ty Năm", "--province",
           "01", "--region", "II")
    code, first = cli_json(*add)
    assert (code, first["replayed"]) == (0, False)
    before = counts(configured)
    assert cli_json(*add) == (0, {**first, "replayed": True})
    assert counts(configured) == before
    code, other = cli_json(*add[:-1], "III")
    assert (code, other["errors"]) == (1, [{"field": "--region", "reason": (
        "employer 0109999982 was registered with region 'II', not 'III'")}])


def test_persons_register_run_again_exits_0_and_other_content_names_the_flag(
        configured: Engine) -> None:
    register = ("persons", "register", "--personal-id", NEW, "--name", "Lê Thị Hoa",
                "--birth-date", "1996-04-05", "--sex", "female", "--employer", UNIT_A,
                "--salary", "9000000", "--from", f"{date.today():%Y-%m}")
    code, first = cli_json(*register)
    assert (code, first["replayed"]) == (0, False), first
    before, log = counts(configured), readers(configured, NEW)
    assert cli_json(*register) == (0, {**first, "declaration": {
        **first["declaration"], "replayed": True}, "replayed": True})
    # It prints the person's book: in their log as the first run is, the operator named.
    assert counts(configured) == logged_once(before)
    assert readers(configured, NEW) == [*log, (operator_id(), "person.register", "allowed")]
    code, other = cli_json(*register[:-3], "9500000", *register[-2:])
    assert code == 1 and [e["field"] for e in other["errors"]] == ["--salary"], other


def test_persons_register_voluntary_run_again_on_another_income_names_its_flags(
        configured: Engine) -> None:
    register = ("persons", "register", "--personal-id", NEW, "--name", "Lê Thị Hoa",
                "--birth-date", "1996-04-05", "--sex", "female", "--voluntary", "--support",
                "poor", "--income")
    assert cli_json(*register, "3000000")[0] == 0
    assert cli_json(*register, "3000000")[1]["replayed"] is True
    code, other = cli_json(*register[:-3], "--income", "4000000")
    assert code == 1 and [e["field"] for e in other["errors"]] == ["--income", "--support"]


def test_persons_register_voluntary_without_support_is_other_and_run_again_replays(
        configured: Engine) -> None:
    register = ("persons", "register", "--personal-id", NEW, "--name", "Lê Thị Hoa",
                "--birth-date", "1996-04-05", "--sex", "female", "--voluntary", "--income",
                "3000000")
    code, first = cli_json(*register)
    assert code == 0 and first["voluntary"]["state_support"] == 66_000, first
    assert cli_json(*register) == (0, {**first, "replayed": True})
    with configured.connect() as conn:
        assert conn.execute(text(
            "SELECT support_group FROM si_periods JOIN persons USING (person_id) "
            "WHERE personal_id = :p AND kind = 'voluntary'"), {"p": NEW}).scalar_one() == "other"


def _decomposed(value: str) -> str:
    written = unicodedata.normalize("NFD", value)
    assert written != value  # the test writes the text as a Mac's keyboard does
    return written


def test_texts_written_decomposed_are_stored_composed_and_match_when_sent_again(
        client: TestClient, configured: Engine) -> None:
    """A name typed on a Mac arrives decomposed (e + combining accents): stored so, it would
    equal no other writing of the same name, and a re-send in the other form would be a 409."""
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    person = {k: v for k, v in worker().items() if k not in ("salary", "job_title",
                                                             "from_month")}
    first = client.post("/api/v1/persons", headers=clerk,
                        json={**person, "full_name": _decomposed(person["full_name"]),
                              "address": _decomposed("Số 1 Hàng Bài")})
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/persons", headers=clerk, json={
        **person, "address": "Số 1 Hàng Bài"})
    assert again.status_code == 201 and again.json()["replayed"] is True, again.text
    unit = {"code": "0109999982", "name": _decomposed("Công ty Đức Việt"),
            "province_code": "01", "region": "I", "address": _decomposed("Hà Nội")}
    assert client.post("/api/v1/employers", headers=clerk, json=unit).status_code == 201
    home = {"code": "HN8", "address": _decomposed("Số 3 Hàng Bài"), "province_code": "01",
            "members": [{"personal_id": OWN, "relation_to_head": _decomposed("chủ hộ")}]}
    assert client.post("/api/v1/households", headers=clerk, json=home).status_code == 201
    with configured.connect() as conn:
        stored = [conn.execute(text(query)).scalar_one() for query in (
            f"SELECT full_name FROM persons WHERE personal_id = '{NEW}'",  # noqa: S608
            "SELECT name FROM employers WHERE code = '0109999982'",
            "SELECT address FROM households WHERE code = 'HN8'",
            "SELECT relation_to_head FROM household_members m JOIN households h "
            "ON h.household_id = m.household_id WHERE h.code = 'HN8'")]
    assert stored == [person["full_name"], "Công ty Đức Việt", "Số 3 Hàng Bài", "chủ hộ"]
    assert all(unicodedata.is_normalized("NFC", value) for value in stored)
