"""Workers whose pay, declared in 2025, is below the regional minimum raised on 1 January 2026
(FACTS §3.3: Region I 4,960,000 -> 5,310,000): listed per month and counted on the employer's
ledger until the employer files an adjustment; the dues stay those of the pay declared."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, insert

from sibook.contributions import queries
from sibook.contributions.closing import assess_through
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_personal_id
from sibook.registry import reading, service
from sibook.registry.new_person import NewPerson
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers


def test_a_raised_minimum_lists_the_workers_below_it_until_their_pay_is_adjusted(
        engine: Engine) -> None:
    low, fine = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(low, "TM", 5_000_000, "2025-11"),
                                        (fine, "TM", 6_000_000, "2025-11")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2025, 11))
        declare(session=s, data=csv_of([(low, "DC", 5_400_000, "2026-03")]),
                file_name="dc.csv", employer_code=EMPLOYER, month=Period(2026, 3))
    assess_through(lambda: unit_of_work(engine), Period(2026, 4))
    with unit_of_work(engine) as s:
        ledger = queries.employer_ledger(session=s, code=EMPLOYER, as_of=date(2026, 4, 30))
        january, ids = queries.below_minimum(session=s, code=EMPLOYER, month=Period(2026, 1))
        december, _ = queries.below_minimum(session=s, code=EMPLOYER, month=Period(2025, 12))
        march, _ = queries.below_minimum(session=s, code=EMPLOYER, month=Period(2026, 3))
    assert [(m["month"], m["below_minimum"]) for m in ledger["months"]] == [
        ("2025-11", 0), ("2025-12", 0), ("2026-01", 1), ("2026-02", 1), ("2026-03", 0),
        ("2026-04", 0)]
    # The dues of January are those of the pay declared: 32% of 11,000,000.
    assert ledger["months"][2]["due"] == 3_520_000
    assert january == {
        "employer": EMPLOYER, "month": "2026-01", "region": "I", "minimum": 5_310_000,
        "evasion_from": "2026-02-28",
        "workers": [{"personal_id": low, "full_name": january["workers"][0]["full_name"],
                     "salary": 5_000_000, "minimum": 5_310_000, "shortfall": 310_000}]}
    assert len(ids) == 1
    assert december["workers"] == [] and december["minimum"] == 4_960_000
    assert march["workers"] == []


def test_a_ministry_person_on_a_civil_units_record_is_not_listed(engine: Engine) -> None:
    """A person of the defence realm whose period with a civil unit predates the units' realms
    (migration 0012 kept every unit on record civil) stays absent from that unit's list: their
    name and pay are their ministry's, as everywhere outside their realm."""
    (low,) = setup_workers(engine, 1)
    soldier = make_personal_id("001", date(1985, 1, 1), "male", 777)
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(low, "TM", 5_000_000, "2025-11")]),
                file_name="d.csv", employer_code=EMPLOYER, month=Period(2025, 11))
        person_id = service.register_person(session=s, person=NewPerson(
            personal_id=soldier, full_name="Lê Văn Quân", birth_date=date(1985, 1, 1),
            sex="male", birth_registration_place="001", realm="defence"))
        s.execute(insert(periods).values(
            person_id=person_id, seq=1, from_month=Period(2025, 1).index, to_month=None,
            kind="compulsory", employer_id=reading.employer_by_code(
                session=s, code=EMPLOYER).employer_id,
            salary_basis=5_000_000, allowances=0, occupational_rate_bp=50))
    assess_through(lambda: unit_of_work(engine), Period(2026, 1))
    with unit_of_work(engine) as s:
        january, ids = queries.below_minimum(session=s, code=EMPLOYER, month=Period(2026, 1))
        ledger = queries.employer_ledger(session=s, code=EMPLOYER, as_of=date(2026, 1, 31))
    assert [w["personal_id"] for w in january["workers"]] == [low]
    assert len(ids) == 1
    assert ledger["months"][-1]["month"] == "2026-01"
    assert ledger["months"][-1]["below_minimum"] == 1  # as many as the list shows
