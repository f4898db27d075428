"""The contribution ledger against an oracle written from FACTS.md alone (ledger_oracle): three
employers (region I, region IV, and region II paying every 3 months from 2026) file their
workers' lists and pay over 2025-2026, through the services the CLI and the API call, and each
day read gives, per employer and month, the dues, what was paid, the deadline, the days late,
the interest and the evasion flag the oracle works out, and per worker and month the dues per
fund and the employer's month's status.

The months run from 2025-05 to 2026-11, across the deadline rule's change (2025-07), the
regional minimums' (2026-01) and the reference level's (2026-07); one worker earns above the SI
cap and, in 2025, the UI cap; one is paid region I's 2025 minimum, then below 2026's, one
region IV's, one region II's; there are raises, a back-dated cut of pay already paid for, a
decrease (GH), and payments partial, late, ahead, in pieces, posted out of order, and months
never paid."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.contributions import queries
from sibook.contributions.closing import assess_through
from sibook.contributions.declare import declare
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.ids import make_enterprise_code
from sibook.registry import reading as registry
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer
from tests.integration import ledger_oracle as oracle
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    WORKER_NAMES,
    setup_workers,
    worker_id,
)
from tests.integration.ledger_oracle import Line

A, B = EMPLOYER, make_enterprise_code(6161, "04")  # region I (Hà Nội), region IV (Cao Bằng)
C = make_enterprise_code(7171, "31")  # region II (Hải Phòng), a fishery paying every 3 months
REGION = {A: "I", B: "IV", C: "II"}
CYCLE = {C: ("2026-01", 3)}
W0, W1, W2, W3, V0, V1, X0, X1 = (worker_id(n) for n in range(8))
THROUGH = "2026-11"  # the last month the agency's monthly assessment reaches

# What the employers file and the bank's statements say, in the order posted: a payment made
# before the filing that assesses its month waits as credit, and A-03 is posted before A-02.
File = tuple[str, str, list[Line]]  # employer, month filed for, lines
Pay = tuple[str, int, str, date]  # employer, amount, bank reference, paid on
EVENTS: list[File | Pay] = [
    (A, "2025-06", [Line(W0, "TM", 10_000_000, "2025-05"), Line(W1, "TM", 100_000_000, "2025-05")]),
    (B, "2025-06", [Line(V0, "TM", 80_000_000, "2025-06")]),
    (A, 40_000_000, "A-01", date(2025, 6, 20)),  # May late, June, the rest ahead for July
    (B, 15_420_000, "B-01", date(2025, 7, 31)),  # June, under Decision 595's deadline: late
    (B, 15_420_000, "B-02", date(2025, 8, 29)),  # July, before any filing assessed it
    (B, 8_000_000, "B-03", date(2025, 9, 30)),  # August in two pieces on its deadline
    (B, 8_524_000, "B-04", date(2025, 9, 30)),
    (A, 15_000_000, "A-03", date(2025, 10, 10)),  # July's rest and part of August...
    (A, 10_000_000, "A-02", date(2025, 9, 15)),  # ...once this earlier money paid July first
    (A, "2025-10", [Line(W0, "DC", 12_000_000, "2025-09"), Line(W2, "TM", 4_960_000, "2025-07"),
                    Line(W3, "TM", 8_000_000, "2025-10", 1_000_000)]),
    (B, "2025-10", [Line(V1, "TM", 3_450_000, "2025-08")]),
    (A, 60_000_000, "A-04", date(2025, 12, 20)),
    (B, 16_524_000, "B-05", date(2025, 12, 30)),  # September on its 60th day late: no evasion
    (B, 16_524_000, "B-06", date(2026, 1, 30)),  # October on its 61st: evasion
    (A, "2026-02", [Line(W0, "DC", 11_000_000, "2026-01"), Line(W3, "GH", None, "2026-02")]),
    (B, "2026-02", [Line(V1, "DC", 3_700_000, "2026-01")]),
    (C, "2026-02", [Line(X0, "TM", 4_730_000, "2026-01"), Line(X1, "TM", 20_000_000, "2026-02")]),
    (C, 17_340_800, "C-01", date(2026, 4, 30)),  # January to March, due together that day
    (A, 30_000_000, "A-05", date(2026, 3, 5)),  # and nothing more from B
    # a cut of pay back to 2025-11, months paid for already: the money freed pays the next
    (A, "2026-08", [Line(W1, "DC", 60_000_000, "2025-11"), Line(W2, "DC", 5_400_000, "2026-03")]),
    # W0's pay corrected in months its later raises closed: each correction holds up to the
    # next change of pay on file (the 2025-09 and 2026-01 raises stay)
    (A, "2026-09", [Line(W0, "DC", 10_500_000, "2025-07"), Line(W0, "DC", 12_500_000, "2025-10")]),
    (C, 10_000_000, "C-02", date(2026, 8, 15)),  # April late, May in part, and no more
    (A, 260_000_000, "A-06", date(2026, 11, 18)),  # all A owes, and more: credit
]
# 2025-06-25: before Law 41/2024's rules, read all the same (README, "Late interest")
AS_OF = [date(2025, 6, 25), date(2025, 7, 31), date(2025, 9, 30), date(2025, 10, 10),
         date(2025, 11, 29), date(2025, 11, 30), date(2025, 12, 30), date(2025, 12, 31),
         date(2026, 1, 29), date(2026, 1, 30), date(2026, 3, 5), date(2026, 4, 30),
         date(2026, 8, 31), date(2026, 11, 20)]


def csv(lines: list[Line]) -> bytes:
    rows = ["personal_id,full_name,case_code,salary,allowances,from_month"]
    rows += [f"{x.personal_id},{WORKER_NAMES[x.personal_id]},{x.case_code},"
             f"{'' if x.salary is None else x.salary},{x.allowances or ''},{x.from_month}"
             for x in lines]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def store(module_engine: Engine) -> Engine:
    """The two employers' months, filed and paid as EVENTS posts them, then assessed."""
    setup_workers(module_engine, 8)
    with unit_of_work(module_engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=B, name="Công ty Cao Nguyên", province_code="04", region="IV"))
        service.add_employer(session=s, employer=NewEmployer(
            code=C, name="Hợp tác xã Thủy sản Biển Xanh", province_code="31", region="II",
            payment_cycle="3", payment_cycle_from=Period.parse(CYCLE[C][0])))
    for event in EVENTS:
        with unit_of_work(module_engine) as s:
            if len(event) == 3:
                code, month, lines = event
                declare(session=s, data=csv(lines), file_name="d02.csv", employer_code=code,
                        month=Period.parse(month))
            else:
                code, amount, reference, day = event
                post_payment(session=s, employer_code=code, amount=amount,
                             bank_reference=reference, paid_on=day)
    assess_through(lambda: unit_of_work(module_engine), Period.parse(THROUGH))
    return module_engine


def expected_months(code: str, as_of: date) -> tuple[list[oracle.Month], int]:
    lines = [x for e in EVENTS if len(e) == 3 and e[0] == code for x in e[2]]
    months = oracle.months_of(oracle.workers_of(lines), REGION[code], "2025-05", THROUGH,
                              CYCLE.get(code))
    payments = [(e[3], e[1]) for e in EVENTS if len(e) == 4 and e[0] == code]
    return months, oracle.allocate(months, payments, as_of)


def employer_ledger(engine: Engine, code: str, as_of: date) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        return queries.employer_ledger(session=s, code=code, as_of=as_of)


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
@pytest.mark.parametrize("code", [A, B, C])
def test_each_month_is_due_paid_late_and_evaded_as_the_law_says(
        store: Engine, code: str, as_of: date) -> None:
    months, credit = expected_months(code, as_of)
    want = [oracle.statement(m, as_of) for m in months if m.month <= as_of.isoformat()[:7]]
    got = employer_ledger(store, code, as_of)
    assert got["months"] == want
    assert got["totals"] == {
        "due": sum(m["due"] for m in want), "paid": sum(m["paid"] for m in want),
        "outstanding": sum(m["outstanding"] for m in want),
        "interest": sum(m["interest"] for m in want),
        "months_in_evasion": sum(1 for m in want if m["evasion"] and m["outstanding"]),
        "credit": credit}


WORKERS = {W0: A, W1: A, W2: A, W3: A, V0: B, V1: B, X0: C, X1: C}


def expected_person(personal_id: str, as_of: date) -> list[dict[str, Any]]:
    code = WORKERS[personal_id]
    months, _ = expected_months(code, as_of)
    lines = [x for e in EVENTS if len(e) == 3 for x in e[2] if x.personal_id == personal_id]
    worker = oracle.workers_of(lines)[personal_id]
    out = []
    for m in months:
        basis = worker.basis(m.month)
        if basis is None or m.month > as_of.isoformat()[:7]:
            continue
        line = oracle.statement(m, as_of)
        sides = oracle.shares(m.month, basis, REGION[code])
        out.append({
            "month": m.month, "kind": "compulsory", "employer": code, "basis": basis,
            "employer_share": sides["employer"], "employee_share": sides["employee"],
            # a worker's month is the employer's whole month (README: FACTS says nothing)
            "status": line["status"],
            "deducted_not_remitted": line["status"] != "paid" and as_of > m.due_by,
            "employer_month_due": m.due, "employer_month_paid": m.paid,
            "due": None, "paid": None, "employer_days_late": line["days_late"]})
    return out


@pytest.mark.parametrize("as_of", [date(2025, 12, 31), date(2026, 11, 20)], ids=str)
@pytest.mark.parametrize("personal_id", list(WORKERS))
def test_each_worker_month_has_its_dues_per_fund_and_its_employers_status(
        store: Engine, personal_id: str, as_of: date) -> None:
    with unit_of_work(store) as s:
        got = queries.person_ledger(session=s, personal_id=personal_id, as_of=as_of,
                                    person_id=registry.person_id_of(session=s,
                                                                    personal_id=personal_id))
    want = expected_person(personal_id, as_of)
    assert got["months"] == want
    statuses = [m["status"] for m in want]
    assert got["summary"] == {
        "months": len(want), "paid": statuses.count("paid"),
        "partly_paid": statuses.count("partly_paid"), "unpaid": statuses.count("unpaid"),
        "reported": 0,
        "months_deducted_not_remitted": sum(m["deducted_not_remitted"] for m in want),
        "months_employer_late": sum(m["employer_days_late"] > 0 for m in want),
        "voluntary_credit": 0}


@pytest.mark.parametrize("month", ["2025-12", "2026-01", "2026-02", "2026-03"])
def test_pay_below_a_raised_minimum_is_listed_with_the_day_it_counts_as_evasion(
        store: Engine, month: str) -> None:
    with unit_of_work(store) as s:
        got, _ = queries.below_minimum(session=s, code=A, month=Period.parse(month))
    # W2 kept region I's 2025 minimum into 2026 until the raise from 2026-03; FACTS §3.7:
    # declaring pay below the law's is evasion from the last day of the month after
    below = month in ("2026-01", "2026-02")
    assert got == {
        "employer": A, "month": month, "region": "I", "minimum": oracle.minimum(month, "I"),
        "evasion_from": oracle.last_day(oracle.next_month(month)).isoformat(),
        "workers": [{"personal_id": W2, "full_name": WORKER_NAMES[W2], "salary": 4_960_000,
                     "minimum": 5_310_000, "shortfall": 350_000}] if below else []}


def test_the_command_line_answers_what_the_oracle_works_out(
        store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sibook ledger employer`` and ``ledger show`` (the contract's CLI) on the same store."""
    from sibook.core.config import get_settings

    monkeypatch.setenv("SIBOOK_DATABASE_URL", store.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        as_of = date(2026, 11, 20)
        for code in (A, B, C):
            out = CliRunner().invoke(app, ["ledger", "employer", code, "--as-of", "2026-11-20",
                                           "--json"])
            assert out.exit_code == 0, out.output
            months, _ = expected_months(code, as_of)
            want = [oracle.statement(m, as_of) for m in months]
            assert json.loads(out.stdout)["months"] == want
        out = CliRunner().invoke(app, ["ledger", "show", W1, "--as-of", "2026-11-20", "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout)["months"] == expected_person(W1, as_of)
    finally:
        get_settings.cache_clear()
