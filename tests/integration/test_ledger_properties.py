"""The ledger's invariants over random histories: two units (regions I and IV) file lists of
increases, back-dated and in-place adjustments and decreases (cancelled starts among them) in
any month order, and are paid on random days posted in random order; then the monthly
assessment runs. Whatever happened:

- each unit-month's entries sum, per fund and payer, to the dues its periods imply now: a
  correction or a reversal is counted once, never twice or not at all;
- the unit's money pays its months oldest first, earliest money first, and only its own money
  pays them (no payment of one unit leaks into the other's months);
- posting every payment again (its reference in other letters) changes no row;
- each worker's month reads as the unit's month (status, paid, days late), "reported" when the
  ledger has not assessed it, and is deducted but not remitted exactly when the book counts it
  among the unit's arrears.

The dues are priced by ``dues.payroll_dues`` (test_ledger_oracle checks its amounts against
FACTS); what is checked here is that the entries posted add up to them."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from sibook.contributions import ledger, queries
from sibook.contributions.closing import assess_through
from sibook.contributions.declare import declare
from sibook.contributions.dues import Dues, PayrollGroup, caps, payroll_dues
from sibook.contributions.ledger_store import FUNDS
from sibook.contributions.payments import post_payment
from sibook.contributions.service import unpaid_months
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.ids import make_enterprise_code
from sibook.registry import reading as registry
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers

OTHER = make_enterprise_code(6161, "04")  # region IV
TODAY = date(2026, 11, 29)
THROUGH = Period(2026, 11)
SALARIES = (5_400_000, 10_000_100, 12_345_679, 60_000_000, 150_000_000)  # above both caps too
AS_OF = (date(2026, 3, 31), date(2026, 7, 15), date(2026, 11, 29))
Line = tuple[str, str, int | None, str]


def history(engine: Engine, seed: int) -> tuple[list[str], list[tuple[str, int, str, date]]]:
    """Random filings and payments of the two units; the workers and the payments posted."""
    rnd = random.Random(seed)
    ids = setup_workers(engine, 6)
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=OTHER, name="Công ty Cao Nguyên", province_code="04", region="IV"))
    own = {EMPLOYER: ids[:3], OTHER: ids[3:]}
    batches: dict[tuple[str, Period], int] = defaultdict(int)
    opened: dict[str, Period] = {}  # worker: the month their last start was filed from
    paid: list[tuple[str, int, str, date]] = []
    for step in range(30):
        code = rnd.choice((EMPLOYER, OTHER))
        if rnd.random() < 0.5:
            month = Period(2026, rnd.randint(1, 10))
            lines: list[Line] = []
            for pid in rnd.sample(own[code], rnd.randint(1, 2)):
                case = rnd.choice(("DC", "GH", "DC")) if pid in opened else "TM"
                first = min(opened[pid].month, month.month) if pid in opened else 1
                lines.append((pid, case, None if case == "GH" else rnd.choice(SALARIES),
                              str(Period(2026, rnd.randint(first, month.month)))))
            batches[(code, month)] += 1
            try:
                with unit_of_work(engine) as s:
                    declare(session=s, data=csv_of(lines), file_name="d.csv", employer_code=code,
                            month=month, batch_no=batches[(code, month)])
            except (ValidationError, ConflictError):
                continue  # a line the law refuses: the filing changed nothing
            for pid, case, _, start in lines:
                if case == "TM":
                    opened[pid] = Period.parse(start)
                elif case == "GH":
                    opened.pop(pid, None)
        else:
            payment = (code, rnd.choice((1_000_000, 3_456_789, 20_000_000, 50_000_000)),
                       f"REF-{step}", date(2026, 1, 1) + timedelta(days=rnd.randint(0, 320)))
            try:
                pay(engine, *payment)
            except ValidationError:
                continue  # dated before the unit had a worker
            paid.append(payment)
    assess_through(lambda: unit_of_work(engine), THROUGH)
    return ids, paid


def pay(engine: Engine, code: str, amount: int, reference: str, on: date) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return post_payment(session=s, employer_code=code, amount=amount,
                            bank_reference=reference, paid_on=on, today=TODAY)


def implied(conn: Connection, employer_id: int, month: Period) -> Dues:
    """The dues the unit's periods imply for ``month`` now, worker by worker."""
    region = conn.execute(text("SELECT region FROM employers WHERE employer_id = :e"),
                          {"e": employer_id}).scalar_one()
    si_cap, ui_cap = caps(month, region)
    assert si_cap is not None and ui_cap is not None
    groups: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for kind, oa_bp, basis in conn.execute(text(
            "SELECT kind, occupational_rate_bp, salary_basis + allowances FROM si_periods "
            "WHERE employer_id = :e AND kind IN ('compulsory', 'foreign') AND from_month <= :m "
            "AND (to_month IS NULL OR to_month >= :m)"), {"e": employer_id, "m": month.index}):
        group = groups[(kind, oa_bp)]
        group[0] += 1
        group[1] += min(basis, si_cap)
        group[2] += min(basis, ui_cap)
    return payroll_dues(month, [PayrollGroup(kind, bp, *sums)
                                for (kind, bp), sums in groups.items()])


def posted(conn: Connection, employer_id: int) -> dict[int, list[int]]:
    """Per month: the entries' total, then their sums per payer and fund."""
    columns = ", ".join(f"sum({side}_{fund})" for side in ("er", "ee") for fund in FUNDS)
    return {int(r[0]): [int(v) for v in r[1:]] for r in conn.execute(text(
        f"SELECT period, sum(total), {columns} FROM ledger_entries WHERE employer_id = :e "
        "GROUP BY period"), {"e": employer_id})}


def oldest_first(conn: Connection, employer_id: int) -> dict[tuple[int, int], int]:
    """(payment, month): the unit's money, earliest first, applied to its months oldest first."""
    due = ledger.dues_by_month(conn, employer_id)
    left = [[int(r[0]), int(r[1])] for r in conn.execute(text(
        "SELECT payment_id, amount FROM payments WHERE employer_id = :e "
        "ORDER BY paid_on, payment_id"), {"e": employer_id})]
    want: dict[tuple[int, int], int] = defaultdict(int)
    for month in sorted(due):
        owed = due[month]
        while owed > 0 and left:
            take = min(owed, left[0][1])
            want[(left[0][0], month)] += take
            owed, left[0][1] = owed - take, left[0][1] - take
            if left[0][1] == 0:
                left.pop(0)
    return dict(want)


def rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in ("ledger_entries", "payments", "payment_allocations")}


@pytest.mark.parametrize("seed", range(3))
def test_the_ledger_holds_its_invariants_whatever_the_history(engine: Engine, seed: int) -> None:
    ids, paid = history(engine, seed)
    with engine.connect() as conn:
        for code in (EMPLOYER, OTHER):
            employer_id = conn.execute(text("SELECT employer_id FROM employers WHERE code = :c"),
                                       {"c": code}).scalar_one()
            entries = posted(conn, employer_id)
            for month in ledger.months_to_assess(Period(2026, 1), THROUGH):
                dues = implied(conn, employer_id, month)
                want = [dues.total, *(getattr(dues, side)[fund]
                                      for side in ("employer", "employee") for fund in FUNDS)]
                assert entries.get(month.index, [0] * 11) == want, (code, str(month))
            allocated = {(int(p), int(m)): int(a) for p, m, a, unit in conn.execute(text(
                "SELECT a.payment_id, a.period, sum(a.amount), p.employer_id "
                "FROM payment_allocations a JOIN payments p ON p.payment_id = a.payment_id "
                "WHERE a.employer_id = :e GROUP BY a.payment_id, a.period, p.employer_id"),
                {"e": employer_id}) if int(a) != 0 and unit == employer_id}
            assert allocated == oldest_first(conn, employer_id), code
            assert conn.execute(text(
                "SELECT count(*) FROM payment_allocations a JOIN payments p "
                "ON p.payment_id = a.payment_id WHERE a.employer_id <> p.employer_id")
            ).scalar_one() == 0
    before = rows(engine)
    for code, amount, reference, on in paid:
        assert pay(engine, code, amount, reference.lower(), on)["replayed"] is True
    assert rows(engine) == before
    for as_of in AS_OF:
        with unit_of_work(engine) as s:
            units = {code: registry.employer_by_code(session=s, code=code)
                     for code in (EMPLOYER, OTHER)}
            months = {code: {m["month"]: m for m in queries.employer_ledger(
                session=s, code=code, as_of=as_of)["months"]} for code in units}
            arrears = unpaid_months(session=s, employer_ids={u.employer_id
                                                             for u in units.values()},
                                    as_of=as_of)
            for pid in ids:
                person = queries.person_ledger(
                    session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                    personal_id=pid, as_of=as_of)
                for row in person["months"]:
                    unit = months[row["employer"]].get(row["month"])
                    mine = (row["status"], row["employer_month_paid"], row["employer_days_late"])
                    assert mine == ((unit["status"], unit["paid"], unit["days_late"])
                                    if unit else ("reported", None, None)), (pid, row)
                    owing = arrears.get(units[row["employer"]].employer_id, {})
                    assert row["deducted_not_remitted"] == (
                        Period.parse(row["month"]).index in owing), (pid, row, str(as_of))
