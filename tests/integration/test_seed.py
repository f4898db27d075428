"""The synthetic population fills all seven groups, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text

from sibook.contributions.statement import deadline_of, employer_months
from sibook.contributions.store import SIPeriod
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.ids import (
    check_consistency,
    is_valid_hi_card,
    make_enterprise_code,
    province_2025,
)
from sibook.registry import hi_cards, reading, regimes, service
from sibook.registry.store import Employer, Person
from sibook.seed import employers as employer_gen
from sibook.seed import service as seeding
from sibook.seed.careers import EmployerRef
from sibook.seed.population import Population
from sibook.seed.service import SeedReport, seed
from sibook.seed.wages import floor_table
from tests.integration.races import until_one_waits

TODAY = date(2026, 11, 1)


def employer_refs(count: int, seed_value: int) -> list[EmployerRef]:
    return employer_gen.generate(random.Random(f"employers-{seed_value}"), count, first_id=1)[1]
TABLES = (
    "persons",
    "person_relations",
    "contacts",
    "households",
    "household_members",
    "si_profiles",
    "hi_cards",
    "hi_visits",
    "si_periods",
    "ui_periods",
    "employers",
)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_seed_fills_every_information_group(engine: Engine) -> None:
    report = seed(engine=engine, people=400, employers=20, seed=7, today=TODAY)
    counts = _counts(engine)
    assert report.people == counts["persons"] == 400
    assert counts["employers"] == 20
    for table in TABLES:
        assert counts[table] > 0, table
    assert counts["si_periods"] < 400 * 40  # periods, not person-months


def test_seed_is_deterministic_across_backends(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from sibook.core import migrate
    from sibook.core.db import make_engine

    other = make_engine(f"sqlite:///{tmp_path_factory.mktemp('again') / 'again.db'}")
    migrate.upgrade(other)
    # 30 units: three public ones, one of which became a company (employer_salary_regimes).
    seed(engine=engine, people=120, employers=30, seed=3, today=TODAY)
    seed(engine=other, people=120, employers=30, seed=3, today=TODAY)
    for query in ("SELECT personal_id, full_name, birth_date FROM persons ORDER BY person_id",
                  "SELECT employer_id, from_month, salary_regime FROM employer_salary_regimes",
                  "SELECT person_id, facility_code, link_code, admitted_at, discharged_at, "
                  "diagnosis, total_cost, hi_paid FROM hi_visits ORDER BY person_id, link_code"):
        with engine.connect() as a, other.connect() as b:
            assert [tuple(map(str, r)) for r in a.execute(text(query))] == [
                tuple(map(str, r)) for r in b.execute(text(query))
            ]


def test_seeded_people_have_consistent_ids_and_cards(engine: Engine) -> None:
    seed(engine=engine, people=200, employers=10, seed=11, today=TODAY)
    with unit_of_work(engine) as s:
        people = s.execute(select(Person.personal_id, Person.birth_date, Person.sex)).all()
        cards = s.execute(text("SELECT card_number FROM hi_cards")).scalars().all()
    assert all(check_consistency(p.personal_id, p.birth_date, p.sex) == [] for p in people)  # type: ignore[arg-type]
    assert all(is_valid_hi_card(c) for c in cards)
    # This year's cards name the 34 provinces of 1 July 2025, never a code the merger closed.
    assert all(province_2025(c[3:5]) is not None for c in cards)


def test_a_seeded_employees_card_names_the_employers_province(engine: Engine) -> None:
    """As a declaration issues it (registry.hi_cards): where the unit is, not where the worker
    was born; anyone else's card keeps the birth province, by its current code."""
    seed(engine=engine, people=400, employers=20, seed=4, today=TODAY)
    with engine.connect() as conn:
        cards = conn.execute(text(
            "SELECT c.group_code, c.province_code, substr(c.card_number, 4, 2) AS on_card, "
            "e.province_code AS unit, substr(p.birth_registration_place, 2, 2) AS born "
            "FROM hi_cards c JOIN persons p ON p.person_id = c.person_id "
            "LEFT JOIN si_periods s ON s.person_id = c.person_id AND s.to_month IS NULL "
            "LEFT JOIN employers e ON e.employer_id = s.employer_id")).all()
    employees = [c for c in cards if c.group_code == hi_cards.EMPLOYEE_GROUP]
    others = [c for c in cards if c.group_code != hi_cards.EMPLOYEE_GROUP]
    assert employees and others
    assert all(c.province_code == c.on_card == c.unit for c in employees)
    assert any(c.unit != hi_cards.card_province(c.born) for c in employees)  # the test can fail
    assert all(c.province_code == c.on_card == hi_cards.card_province(c.born) for c in others)


def test_a_seeded_person_is_managed_in_a_province_they_already_belong_to(engine: Engine) -> None:
    """The managing office puts a person in its province's sight (access.scope): a seeded one
    is managed where they live or work now, so it shows them to no officer more."""
    seed(engine=engine, people=400, employers=20, seed=4, today=TODAY)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT substr(f.managing_office, 1, 2) AS office, h.province_code AS home, "
            "e.province_code AS unit FROM si_profiles f "
            "JOIN household_members m ON m.person_id = f.person_id "
            "JOIN households h ON h.household_id = m.household_id "
            "LEFT JOIN si_periods s ON s.person_id = f.person_id AND s.to_month IS NULL "
            "LEFT JOIN employers e ON e.employer_id = s.employer_id")).all()
    assert rows and any(r.unit not in (None, r.home) for r in rows)  # the test can fail
    assert all(r.office in (r.home, r.unit) for r in rows)


def test_every_salary_is_at_or_above_the_regional_minimum_of_its_months(engine: Engine) -> None:
    seed(engine=engine, people=300, employers=15, seed=5, today=TODAY)
    floors = floor_table(Period(1995, 1), Period.of(TODAY))
    with unit_of_work(engine) as s:
        rows = s.execute(
            select(
                SIPeriod.from_month, SIPeriod.to_month, SIPeriod.salary_basis, Employer.region
            ).join(Employer, Employer.employer_id == SIPeriod.employer_id)
        ).all()
    assert rows
    for r in rows:
        last = r.to_month if r.to_month is not None else Period.of(TODAY).index
        assert r.salary_basis >= floors[(r.region, last)]


def test_seeding_a_populated_database_is_refused_or_skipped(engine: Engine) -> None:
    seed(engine=engine, people=10, employers=2, seed=1, today=TODAY)
    with pytest.raises(ConflictError, match="already holds 10 persons and 2 employers"):
        seed(engine=engine, people=10, employers=2, seed=1, today=TODAY)
    assert seed(engine=engine, people=10, employers=2, seed=1, today=TODAY, if_empty=True).skipped


def test_a_database_with_employers_only_is_not_seeded_over(engine: Engine) -> None:
    """The synthetic employers take ids from 1: seeding beside registered ones would collide."""
    seed(engine=engine, people=0, employers=3, seed=1, today=TODAY)
    with pytest.raises(ConflictError, match="already holds 0 persons and 3 employers"):
        seed(engine=engine, people=0, employers=3, seed=1, today=TODAY)
    assert seed(engine=engine, people=5, employers=3, seed=1, today=TODAY, if_empty=True).skipped


def test_two_seeds_at_once_seed_once_and_the_second_finds_it_populated(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `seed --if-empty` at once (two `make run`): the second waits for the first's
    commit, then skips, instead of writing the same ids and failing on them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writer lock, taken at BEGIN, serialises them")
    written, go = threading.Event(), threading.Event()
    seed_ledger = seeding.seed_ledger

    def first_waits_before_its_commit(conn: Connection, **kwargs: Any) -> int:
        if not written.is_set():
            written.set()
            go.wait(60)
        return seed_ledger(conn, **kwargs)

    monkeypatch.setattr(seeding, "seed_ledger", first_waits_before_its_commit)
    outcome: dict[str, SeedReport | Exception] = {}

    def run(name: str) -> None:
        try:
            outcome[name] = seed(engine=engine, people=10, employers=2, seed=1, today=TODAY,
                                 if_empty=True)
        except Exception as exc:  # noqa: BLE001 - the test is that nothing is raised
            outcome[name] = exc

    first = threading.Thread(target=run, args=("first",))
    second = threading.Thread(target=run, args=("second",))
    first.start()
    assert written.wait(60)
    second.start()
    until_one_waits(engine)
    go.set()
    first.join(60)
    second.join(60)
    seeded = outcome["first"]
    assert isinstance(seeded, SeedReport) and (seeded.people, seeded.skipped) == (10, False)
    second = outcome["second"]  # found the first's population, and says how large
    assert isinstance(second, SeedReport) and (second.people, second.rows, second.skipped) == (
        0, 0, True)
    assert second.held[0] >= seeded.people and second.held[1] >= 2


def test_defence_and_public_security_people_are_absent_from_the_civil_list(engine: Engine) -> None:
    seed(engine=engine, people=600, employers=10, seed=2, today=TODAY)
    with unit_of_work(engine) as s:
        hidden = s.scalar(select(func.count()).select_from(Person).where(Person.realm != "civil"))
        listed = reading.list_persons(session=s, limit=10_000)
    assert hidden and hidden > 0
    assert len(listed) == 600 - hidden


def test_a_ministrys_unit_is_unknown_to_the_civil_list_of_persons(engine: Engine) -> None:
    """`sibook persons list --employer CODE` of a defence or public-security unit answers as
    for an unknown code: an empty list would tell that the unit exists."""
    seed(engine=engine, people=600, employers=10, seed=2, today=TODAY)
    with unit_of_work(engine) as s:
        units = s.scalars(select(Employer.code).where(Employer.realm != "civil")).all()
        assert units
        for code in units:
            with pytest.raises(ValidationError, match=f"no employer with code {code}"):
                reading.list_persons(session=s, employer_code=code, today=TODAY)


def test_the_ministries_people_work_in_their_units_only(engine: Engine) -> None:
    """A civil unit's dues never hold a soldier's pay, nor a ministry's unit a civilian's."""
    seed(engine=engine, people=600, employers=10, seed=2, today=TODAY)
    with unit_of_work(engine) as s:
        pairs = s.execute(
            select(Person.realm, Employer.realm, func.count())
            .join(SIPeriod, SIPeriod.person_id == Person.person_id)
            .join(Employer, Employer.employer_id == SIPeriod.employer_id)
            .group_by(Person.realm, Employer.realm)).all()
        listed = {e.code for e in reading.list_employers(session=s, limit=100)}
    assert {(a, b) for a, b, _ in pairs} == {
        ("civil", "civil"), ("defence", "defence"), ("public_security", "public_security")}
    assert len(listed) == 8  # the two ministries' units are not in the civil list


def test_ids_continue_after_seeding(engine: Engine) -> None:
    """New registrations after a bulk seed must not collide with the seeded ids."""
    seed(engine=engine, people=20, employers=2, seed=1, today=TODAY)
    from sibook.registry.new_employer import NewEmployer

    with unit_of_work(engine) as s:
        new_id = service.add_employer(
            session=s,
            employer=NewEmployer(
                code=make_enterprise_code(90_000, "79"),
                name="Công ty Mới",
                province_code="79",
                region="I",
            ),
        )
    assert new_id == 3


def test_seeding_in_a_generator_process_gives_the_same_people(engine: Engine) -> None:
    """Batches made by the child process equal those made here, batch for batch."""
    seed(engine=engine, people=150, employers=5, seed=9, today=TODAY, batch_people=40)
    here = Population(seed=9, employers=employer_refs(5, 9), today=TODAY)
    expected = [r[1] for n in (40, 40, 40, 30) for r in here.batch(n).persons]
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT personal_id FROM persons ORDER BY person_id")).scalars()
        assert list(ids) == expected


def test_seeded_voluntary_participants_pay_for_their_months_and_a_few_lapse(
        engine: Engine) -> None:
    """Without payments every seeded voluntary month would read unpaid: the demo's books
    would all show arrears the seeded people never had."""
    from sibook.book.service import assemble_person

    seed(engine=engine, people=1_500, employers=40, seed=5, today=TODAY)
    with unit_of_work(engine) as s:
        payers = s.execute(text(
            "SELECT DISTINCT p.person_id FROM persons p JOIN voluntary_payments v "
            "ON v.person_id = p.person_id ORDER BY p.person_id")).scalars().all()
        assert len(payers) > 20
        owed = [sum(len(row.get("unpaid", ())) for row in assemble_person(
            session=s, person_id=pid, as_of=TODAY)["sheets"]) for pid in payers]
    assert max(owed) <= 6  # a lapsed participant stopped paying for their last months
    assert 0 < sum(1 for n in owed if n) < len(owed) / 3


def test_seeded_sick_leave_is_claimed_and_settled_as_the_law_pays_it(engine: Engine) -> None:
    """The demo's books show benefits: each seeded decision is one the receiving service would
    accept and pays what the rules engine computes for that leave."""
    from datetime import timedelta
    from decimal import Decimal

    from sibook.benefits.domain import check_claim, check_decision
    from sibook.benefits.records import benefits_of
    from sibook.book.service import assemble_person
    from sibook.rules.sickness import sickness_benefit

    seed(engine=engine, people=1_000, employers=30, seed=4, today=TODAY)
    with unit_of_work(engine) as s:
        claimants = s.execute(text(
            "SELECT b.person_id FROM benefit_claims b JOIN persons p ON p.person_id = b.person_id "
            "WHERE p.realm = 'civil' ORDER BY b.person_id")).scalars().all()  # books list them
        assert 20 < len(claimants) < 120  # about one employee in twenty
        statuses = []
        for pid in claimants[:15]:
            (b,) = benefits_of(session=s, person_id=pid)
            assert check_claim(b.claim, TODAY) == []
            shown = assemble_person(session=s, person_id=pid, as_of=TODAY)["benefits"]
            statuses.append(shown[0]["status"])
            if b.decision is None:  # claimed less than a week before TODAY
                assert b.claim.received_on > TODAY - timedelta(days=7)
                continue
            assert check_decision(b.claim, b.decision, TODAY) == []
            assert b.decision.days is not None
            before = Period.of(b.claim.event_from) - 1  # its salary pays the leave (FACTS §4.3)
            covering = s.execute(select(SIPeriod.salary_basis + SIPeriod.allowances).where(
                SIPeriod.person_id == pid, SIPeriod.kind == "compulsory",
                SIPeriod.from_month <= before.index,
                func.coalesce(SIPeriod.to_month, 10**6) >= before.index,
            )).scalars().all()
            assert any(sickness_benefit(salary=salary, days=Decimal(b.decision.days),
                                        years_contributed=0, on=Period.of(b.claim.event_from)
                                        ).amount == b.decision.amount for salary in covering)
        assert statuses.count("settled") > len(statuses) / 2


def test_seeded_visits_are_claims_a_facility_could_file_again_unchanged(
        engine: Engine) -> None:
    """Each seeded visit passes the filing rules against the registry (a registered civil
    person, a card of theirs valid on the admission day, whole VND, discharge after admission):
    filed again by its facility, every record is one recorded with the same content."""
    from datetime import datetime

    from sibook.visits.service import file_claims, listing
    from tests.visit_files import claim_file

    seed(engine=engine, people=300, employers=10, seed=5, today=TODAY)
    with unit_of_work(engine) as s:
        people = s.execute(text(
            "SELECT DISTINCT v.person_id, p.personal_id, p.full_name FROM hi_visits v JOIN "
            "persons p ON p.person_id = v.person_id ORDER BY v.person_id")).all()
        insured = s.execute(text("SELECT count(DISTINCT person_id) FROM hi_cards")).scalar_one()
        assert insured / 8 < len(people) < insured / 2  # about one insured person in four
        files: dict[str, list[dict[str, str]]] = {}
        for person_id, personal_id, full_name in people:
            for v in listing(session=s, person_id=person_id, personal_id=personal_id)["visits"]:
                files.setdefault(v["facility_code"], []).append({
                    "MA_LK": v["link_code"], "MA_CSKCB": v["facility_code"],
                    "SO_CCCD": personal_id, "HO_TEN": full_name,
                    "MA_THE_BHYT": v["card_number"],
                    "NGAY_VAO": v["admitted_at"].replace("-", "").replace("T", "").replace(
                        ":", ""),
                    "NGAY_RA": v["discharged_at"].replace("-", "").replace("T", "").replace(
                        ":", ""),
                    "MA_BENH_CHINH": v["diagnosis"], "MA_LOAI_KCB": v["visit_type"],
                    "T_TONGCHI_BV": str(v["total_cost"]), "T_BHTT": str(v["hi_paid"]),
                    "T_BNCCT": str(v["patient_paid"])})
        for facility, records in files.items():
            answer, _ = file_claims(session=s, data=claim_file(records, facility),
                                    realm="civil", actor="test",
                                    now=datetime(TODAY.year, TODAY.month, TODAY.day))
            assert (answer["unchanged"], answer["replayed"]) == (len(records), True)
        s.rollback()


def test_a_seeded_book_counts_each_ui_month_once(engine: Engine) -> None:
    """A book's UI time is the months paid since the last benefit (``ui_months``, its UI
    periods) plus those reserved from before it (``ui_reserved_months``, the ``ui_reserves``
    row), and an unemployment benefit draws on both. The seed claims no unemployment benefit,
    so every UI month it reserves is one of the person's UI periods: also writing them as a
    reserve counted them twice (143 months read as 286, a benefit of 12 months, not 11)."""
    from sibook.book.batch import assemble_many

    seed(engine=engine, people=400, employers=20, seed=7, today=TODAY)
    with unit_of_work(engine) as s:
        on_record = dict(s.execute(text(
            "SELECT person_id, sum(coalesce(to_month, :last) - from_month + 1) FROM ui_periods "
            "GROUP BY person_id"), {"last": Period.of(TODAY).index}).all())
        ids = s.execute(text("SELECT person_id FROM persons ORDER BY person_id")).scalars().all()
        books = assemble_many(session=s, person_ids=ids, as_of=TODAY)
    counted = {pid: b["totals"]["ui_months"] + b["totals"]["ui_reserved_months"]
               for pid, b in books.items()}
    assert sum(1 for n in on_record.values() if n) > 100  # UI careers to count
    assert {pid: n for pid, n in counted.items() if n > on_record.get(pid, 0)} == {}


def test_seeded_remittances_pay_the_oldest_dues_first(engine: Engine,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A late payer's seeded money is allocated as the ledger allocates it (the earliest money
    pays the oldest month), so the first real payment leaves the months it does not reach as
    they were: a 1 VND remittance must not turn paid months unpaid and evasion months paid."""
    from sibook.contributions import ledger
    from sibook.seed import ledger as seeded

    monkeypatch.setattr(seeded, "LATE_PAYER_SHARE", 1.0)  # every employer pays late
    seed(engine=engine, people=300, employers=6, seed=2, today=TODAY)
    with unit_of_work(engine) as s:
        conn = s.connection()
        employers = conn.execute(text(
            "SELECT DISTINCT employer_id FROM payments ORDER BY employer_id")).scalars().all()
        assert employers
        assert {e: ledger.allocate(conn, e) for e in employers} == dict.fromkeys(employers, [])


def test_no_seeded_payment_is_dated_after_the_seeds_today(engine: Engine) -> None:
    """Last month falls due at the end of this month (Law 41/2024 Art 34(4)): an employer paying
    it on time has paid by today, never on a day still to come."""
    seed(engine=engine, people=200, employers=20, seed=3, today=TODAY)
    with engine.connect() as conn:
        latest = conn.execute(text("SELECT max(paid_on) FROM payments")).scalar_one()
        october = conn.execute(text(
            "SELECT count(*) FROM payment_allocations WHERE period = :p"),
            {"p": Period(2026, 10).index}).scalar_one()
    assert date.fromisoformat(str(latest)) <= TODAY
    assert october > 0  # October's on-time payers have paid it


def test_a_seeded_unit_paying_every_3_months_owes_its_running_cycle_without_being_late(
        engine: Engine) -> None:
    """One civil unit in fifty pays every 3 or 6 months from its first worker's month: a cycle's
    months are paid together before the cycle's deadline, and the running cycle's are owed, not
    late, though a monthly payer's deadline for the first of them has passed."""
    today = date(2026, 12, 5)
    seed(engine=engine, people=400, employers=50, seed=7, today=today)
    with engine.connect() as conn:
        unit, since = conn.execute(text(
            "SELECT employer_id, from_month FROM employer_payment_cycles WHERE months = 3")).one()
        first_worker = conn.execute(select(func.min(SIPeriod.from_month)).where(
            SIPeriod.employer_id == unit)).scalar_one()
        months = employer_months(conn, unit, today)
    assert since == first_worker
    running = [m for m in months if m.deadline >= today]
    assert any(deadline_of(m.month) < today for m in running)  # late, were it paid monthly
    assert [(m.status, m.days_late) for m in running] == [("unpaid", 0)] * len(running)
    assert {(m.status, m.days_late) for m in months if m.deadline < today} == {("paid", 0)}


def test_a_seeded_public_unit_became_a_company_and_its_history_shows_it(engine: Engine) -> None:
    """One civil public unit in fifty, at least one, sets its own pay from a month after its
    first worker's, by the seed's month: in force now, as `employers regimes` answers."""
    seed(engine=engine, people=400, employers=50, seed=7, today=TODAY)
    with engine.connect() as conn:
        [(unit, since)] = conn.execute(text(
            "SELECT employer_id, from_month FROM employer_salary_regimes")).all()
        code, registered, realm = conn.execute(text(
            "SELECT code, salary_regime, realm FROM employers WHERE employer_id = :e"),
            {"e": unit}).one()
        first = conn.execute(select(func.min(SIPeriod.from_month)).where(
            SIPeriod.employer_id == unit)).scalar_one()
    assert (registered, realm) == ("state", "civil")
    assert first is not None and first < since <= Period.of(TODAY).index
    with unit_of_work(engine) as s:
        history = regimes.regime_history(session=s, code=code).as_dict(TODAY)
    assert history == {"code": code, "registered": "state", "in_force": "employer", "changes": [
        {"from_month": str(Period.from_index(since)), "salary_regime": "employer"}]}
