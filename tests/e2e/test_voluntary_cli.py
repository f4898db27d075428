"""``sibook payments voluntary`` and the voluntary months of ``sibook ledger show``, by the
commands' contract: one JSON object with --json, exit 1 for a refusal naming the field, exit 2
for a usage error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from sibook.access import audit, scope
from sibook.access.principals import Officer
from sibook.cli.context import operator_id
from sibook.cli.main import app
from sibook.contributions.service import end_voluntary_period
from sibook.core.config import get_settings
from sibook.core.db import default_engine, unit_of_work
from sibook.core.period import Period
from sibook.ids import make_personal_id
from sibook.registry import reading
from sibook.registry import service as registry
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import VoluntaryStart, register
from sibook.rules import voluntary_dues
from tests.databases import migrated_sqlite
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, older_worker, settle
from tests.integration.test_benefits_stated_average import PENSION, STATED, STATED_MONTHLY, paying

TODAY = date.today()
START = Period.of(TODAY) - 2
# A month's dues of a participant registered naming no support group: an "other" (20%).
FULL = voluntary_dues(month=Period.of(TODAY), salary=3_000_000, support="other").employee.total
BINH = make_personal_id("001", date(1995, 5, 2), "female", 4321)


@dataclass
class Cli:
    db: Path
    engine: Engine
    worker: str  # employed, never voluntary

    def run(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(app, [*args, "--json"])
        return result.exit_code, json.loads(result.stdout) if result.stdout else {}

    def pay(self, amount: int = FULL, reference: str = "VNPT-1", day: date = TODAY,
            who: str = BINH) -> tuple[int, dict[str, Any]]:
        return self.run("payments", "voluntary", who, "--amount", str(amount), "--reference",
                        reference, "--date", day.isoformat())

    def payments(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM voluntary_payments")).scalar_one())

    def access_log(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM access_log")).scalar_one())

    def last_entry(self) -> tuple[str, str, str]:
        """Who did what to whom (a personal ID) in the newest access-log entry."""
        with self.engine.connect() as conn:
            actor, action, person = conn.execute(text(
                "SELECT actor_id, action, personal_id FROM access_log JOIN persons "
                "USING (person_id) ORDER BY seq DESC LIMIT 1")).one()
            return actor, action, person

    def managing_office(self, personal_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(text(
                "SELECT managing_office FROM si_profiles p JOIN persons USING (person_id) "
                "WHERE personal_id = :p"), {"p": personal_id}).scalar()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(db))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    engine = default_engine()
    (worker,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        register(session=s, person=NewPerson(
            personal_id=BINH, full_name="Trần Thị Bình", birth_date=date(1995, 5, 2),
            sex="female", birth_registration_place="001"),
            population=LocalPopulationRegistry(s), require_match=False,
            voluntary=VoluntaryStart(3_000_000, None, START), today=START.first_day,
            managing_office="01000")
    yield Cli(db, engine, worker)
    get_settings.cache_clear()


def test_a_payment_pays_the_oldest_months_and_the_ledger_shows_them(cli: Cli) -> None:
    code, posted = cli.pay(amount=2 * FULL)
    assert code == 0, posted
    assert posted["posted"] is True and posted["replayed"] is False
    assert posted["allocated"] == [{"month": str(START), "amount": FULL},
                                   {"month": str(START + 1), "amount": FULL}]
    code, ledger = cli.run("ledger", "show", BINH)
    assert code == 0
    assert [(m["month"], m["kind"], m["status"], m["due"], m["paid"])
            for m in ledger["months"]] == [
        (str(START), "voluntary", "paid", FULL, FULL),
        (str(START + 1), "voluntary", "paid", FULL, FULL),
        (str(START + 2), "voluntary", "unpaid", FULL, 0)]
    assert (ledger["summary"]["paid"], ledger["summary"]["unpaid"]) == (2, 1)
    shown = CliRunner().invoke(app, ["ledger", "show", BINH])
    assert shown.exit_code == 0 and "voluntary" in shown.stdout


def test_a_payment_read_as_text_says_what_it_paid(cli: Cli) -> None:
    result = CliRunner().invoke(app, ["payments", "voluntary", BINH, "--amount", str(4 * FULL),
                                      "--reference", "VNPT-1", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())  # as one line, however the console wrapped it
    assert f"pays {START} ({FULL:,}), {START + 1} ({FULL:,}), {START + 2} ({FULL:,})" in said
    assert f"credit {FULL:,} VND" in said


def test_a_reference_holding_brackets_is_said_as_given(cli: Cli) -> None:
    """Printed as text, never Rich markup: "[/]" raised a MarkupError traceback once the
    payment was posted, so the payer read a crash for a payment recorded."""
    result = CliRunner().invoke(app, ["payments", "voluntary", BINH, "--amount", str(FULL),
                                      "--reference", "VNPT [/] 1", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "(VNPT [/] 1, " in " ".join(result.stdout.split())


def test_reposting_a_reference_is_one_payment_and_another_amount_is_refused(cli: Cli) -> None:
    _, first = cli.pay()
    code, again = cli.pay(reference="vnpt-1")
    assert code == 0 and again == {**first, "replayed": True}
    code, refused = cli.pay(amount=FULL + 1)
    assert code == 1 and refused["posted"] is False
    assert refused["errors"][0]["field"] == "--amount"  # the flag typed, not the API's key
    code, moved = cli.pay(day=TODAY - timedelta(days=1))
    assert (code, moved["errors"][0]["field"]) == (1, "--date")
    assert cli.payments() == 1


@pytest.mark.parametrize(("args", "field"), [
    ({"who": "001099000001"}, "PERSONAL_ID"),  # nobody holds it: the argument
    ({"amount": 0}, "--amount"),
    ({"reference": "VNPT\x011"}, "--reference"),
    ({"day": TODAY + timedelta(days=2)}, "--date"),  # TODAY is read at collection
    ({"day": (START - 12).first_day - timedelta(days=1)}, "--date"),  # before she could join
])
def test_a_refusal_exits_1_naming_the_field_and_writes_nothing(cli: Cli, args: dict[str, Any],
                                                               field: str) -> None:
    code, refused = cli.pay(**args)
    assert code == 1 and [p["field"] for p in refused["errors"]] == [field]
    assert cli.payments() == 0


def test_someone_who_never_joined_voluntary_si_is_refused_and_the_look_logged(cli: Cli) -> None:
    code, refused = cli.pay(who=cli.worker)
    assert code == 1 and refused["errors"][0]["field"] == "PERSONAL_ID"
    with unit_of_work(cli.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=reading.person_id_of(
            session=s, personal_id=cli.worker))
    assert [(e.action, e.route, e.outcome) for e in entries] == [
        ("voluntary.pay", "cli: sibook payments voluntary", "refused")]


def test_a_payment_once_the_voluntary_period_ended_exits_1_naming_the_person(cli: Cli
                                                                            ) -> None:
    """Her period ended last month (as a settled pension ends it): a payment today pays no
    month, refused (exit 1) on PERSONAL_ID saying when the period ended; nothing written."""
    with unit_of_work(cli.engine) as s:
        end_voluntary_period(session=s, person_id=reading.person_id_of(
            session=s, personal_id=BINH), last=Period.of(TODAY) - 1)
    code, refused = cli.pay()
    assert code == 1 and refused["posted"] is False
    ((field, reason),) = [(e["field"], e["reason"]) for e in refused["errors"]]
    assert field == "PERSONAL_ID"
    assert f"no open voluntary SI period on {TODAY.isoformat()} (the last ended in " \
           f"{Period.of(TODAY) - 1})" in reason
    assert cli.payments() == 0


def test_a_payment_is_logged_for_the_person(cli: Cli) -> None:
    cli.pay()
    with unit_of_work(cli.engine) as s:
        entries = audit.entries_for_person(session=s, person_id=reading.person_id_of(
            session=s, personal_id=BINH))
    assert [(e.actor_kind, e.action, e.outcome) for e in entries] == [
        ("operator", "voluntary.pay", "allowed")]


def test_an_amount_that_is_no_number_is_a_usage_error(cli: Cli) -> None:
    result = CliRunner().invoke(app, ["payments", "voluntary", BINH, "--amount", "lots",
                                      "--reference", "R", "--date", TODAY.isoformat()])
    assert result.exit_code == 2
    assert cli.payments() == 0


@pytest.mark.parametrize("day", ["", "20260101", "2026-02-30"])
def test_a_date_not_written_yyyy_mm_dd_is_a_usage_error_naming_the_flag(cli: Cli, day: str
                                                                        ) -> None:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{cli.db}"}
    result = subprocess.run([sys.executable, "-m", "sibook.cli.main", "payments", "voluntary",
                             BINH, "--amount", str(FULL), "--reference", "R", "--date", day,
                             "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--date" and "YYYY-MM-DD" in problem["reason"]
    assert cli.payments() == 0


def test_a_registered_person_starts_voluntary_si_at_the_office(cli: Cli) -> None:
    code, started = cli.run("persons", "voluntary", cli.worker, "--income", "3000000",
                            "--support", "other", "--office", "01000")
    assert code == 0, started
    assert started["voluntary"]["monthly_payable"] == 660_000 - 66_000
    logged = cli.access_log()
    code, again = cli.run("persons", "voluntary", cli.worker, "--income", "3000000",
                          "--support", "other")
    # Run again, it changes nothing but prints the person's start: logged, as the first run.
    assert cli.access_log() == logged + 1
    assert cli.last_entry() == (operator_id(), "person.register", cli.worker)
    assert (code, again) == (0, {**started, "replayed": True})  # run again: nothing changed
    code, other = cli.run("persons", "voluntary", cli.worker, "--income", "3500000",
                          "--support", "poor", "--office", "01001")
    assert code == 1 and [e["field"] for e in other["errors"]] == [
        "--income", "--support", "--office"]
    code, later = cli.run("persons", "voluntary", cli.worker, "--income", "3000000", "--from",
                          str(Period.of(date.today()) + 1))
    assert code == 1 and later["errors"][0]["field"] == "PERSONAL_ID"
    assert "already participates" in later["errors"][0]["reason"]
    code, low = cli.run("persons", "voluntary", BINH, "--income", "100", "--office", "01000")
    assert code == 1 and low["errors"][0]["field"] == "--income"


def test_a_voluntary_participant_registered_at_the_console_is_managed_by_the_office_named(
        cli: Cli) -> None:
    """The console's operator is in no province: the office is named (--office), and that
    province's clerks see the participant, another province's do not. (Unnamed, it would be
    that of the province where the birth was registered; this one's was abroad, 101.)"""
    chi = make_personal_id("101", date(1990, 7, 1), "female", 4444)
    register = ("persons", "register", "--personal-id", chi, "--name", "Lê Thị Chi",
                "--birth-date", "1990-07-01", "--sex", "female", "--voluntary", "--income",
                "3000000")
    code, refused = cli.run(*register)
    assert code == 1
    assert [p["field"] for p in refused["errors"]] == ["--office"]
    assert "no SI office" in refused["errors"][0]["reason"]
    code, bad = cli.run(*register, "--office", "99000")
    assert code == 1 and bad["errors"][0]["field"] == "--office"
    code, registered = cli.run(*register, "--office", "79000")
    assert code == 0, registered
    with unit_of_work(cli.engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=chi)
        assert scope.can_see(s, Officer("hcm-clerk", "civil", "79", frozenset({"clerk"})),
                             person_id)
        assert not scope.can_see(s, Officer("hn-clerk", "civil", "01", frozenset({"clerk"})),
                                 person_id)


def test_a_registered_person_starting_voluntary_si_is_managed_where_their_household_is(
        cli: Cli) -> None:
    """A person registered before every registration named an office (the registry's own
    record alone, no SI profile) is managed where their household is, if it is known (else
    where their birth was registered; this one's was abroad, 101, so first refused)."""
    before = make_personal_id("101", date(1980, 3, 3), "male", 3003)
    with unit_of_work(cli.engine) as s:
        registry.register_person(session=s, person=NewPerson(
            personal_id=before, full_name="Hồ Văn Cũ", birth_date=date(1980, 3, 3), sex="male",
            birth_registration_place="101"))
    code, refused = cli.run("persons", "voluntary", before, "--income", "3000000")
    assert code == 1 and [p["field"] for p in refused["errors"]] == ["--office"]
    with unit_of_work(cli.engine) as s:
        registry.add_household(session=s, household=NewHousehold(
            code="HGD46", address="Huế", province_code="46",
            members=(HouseholdMemberIn(before, "chủ hộ"),)))
    code, started = cli.run("persons", "voluntary", before, "--income", "3000000")
    assert code == 0, started
    assert cli.managing_office(before) == "46000"


def test_a_registered_person_with_no_household_is_managed_where_their_birth_was_registered(
        cli: Cli) -> None:
    """No office named, none held, no household: the office of the province (as merged in 2025)
    where their birth was registered, the ID's first three digits (048: Đà Nẵng)."""
    before = make_personal_id("048", date(1981, 4, 4), "female", 4848)
    with unit_of_work(cli.engine) as s:
        registry.register_person(session=s, person=NewPerson(
            personal_id=before, full_name="Võ Thị Cũ", birth_date=date(1981, 4, 4),
            sex="female", birth_registration_place="048"))
    code, started = cli.run("persons", "voluntary", before, "--income", "3000000")
    assert code == 0, started
    assert cli.managing_office(before) == "48000"


def test_a_pensioner_is_refused_voluntary_si_at_the_office(cli: Cli) -> None:
    """Law 41/2024 Art 2(4)(a): the command refuses (exit 1, naming PERSONAL_ID) someone a
    settled pension is paid to, saying whose pension; nothing is opened."""
    him = older_worker(cli.engine)
    claim(cli.engine, him, PENSION)
    settle(cli.engine, him, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    code, refused = cli.run("persons", "voluntary", him, "--income", "3000000")
    assert code == 1
    ((field, reason),) = [(e["field"], e["reason"]) for e in refused["errors"]]
    assert field == "PERSONAL_ID"
    assert reason.startswith(f"dossier {PENSION.dossier_no} settles a pension for this person")
    assert "Law 41/2024/QH15 Art 2(4)(a)" in reason
    with cli.engine.connect() as conn:
        assert conn.execute(text(
            "SELECT count(*) FROM si_periods p JOIN persons USING (person_id) "
            "WHERE personal_id = :p AND kind = 'voluntary'"), {"p": him}).scalar_one() == 0
