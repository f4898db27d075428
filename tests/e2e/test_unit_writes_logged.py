"""A write to a unit's record that changes its workers' books is in each of their access logs,
as a filing is: a remittance (the months it paid read paid) for the workers of those months, a
change of salary regime or payment method from a month for the workers from that month on; one
group entry each, in the write's transaction, nothing for a replay or a refusal. Each entry
says which unit and what changed (its ``detail``), as a filing's names the filing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sibook.access import audit, chain
from sibook.core.db import unit_of_work
from sibook.registry import reading
from tests.e2e import test_contributions_api as contributions_api
from tests.e2e.test_contributions_api import PAYMENT, Api, _clerk
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, csv_of, worker_id
from tests.integration.test_employers_cycle_cli import sibook

api = contributions_api.api  # a unit of four registered workers behind the app, on SQLite
SALARY_REGIME = "/api/v1/employers/{code}/salary-regime"
PAYMENT_CYCLE = "/api/v1/employers/{code}/payment-cycle"


def _staffed(api: Api) -> list[str]:
    """Workers 0 and 1 from 2026-01, 1 leaving after it; 2 from 2026-02; 3 never here."""
    w = api.workers
    assert api.file(csv_of([(w[0], "TM", 10_000_000, "2026-01"),
                            (w[1], "TM", 10_000_000, "2026-01")])).status_code == 201
    assert api.file(csv_of([(w[1], "GH", None, "2026-02"), (w[2], "TM", 10_000_000, "2026-02")]),
                    month="2026-02").status_code == 201
    return w


def _logged(api: Api, action: str) -> dict[str, list[Any]]:
    """Each worker's entries of ``action``, and the chain intact."""
    with unit_of_work(api.engine) as s:
        assert chain.verify(session=s).intact
        return {pid: [e for e in audit.entries_for_person(
                    session=s, person_id=reading.person_id_of(session=s, personal_id=pid))
                      if e.action == action] for pid in api.workers}


def test_a_remittance_is_in_the_logs_of_the_workers_of_the_months_it_paid(api: Api) -> None:
    w = _staffed(api)
    ledger = api.client.get(f"/api/v1/employers/{EMPLOYER}/ledger", headers=_clerk()).json()
    january = next(m["due"] for m in ledger["months"] if m["month"] == "2026-01")
    payment = {"amount": january, "reference": "VCB-LOG", "paid_on": "2026-02-20"}
    paid = api.conforms("POST", PAYMENT, api.client.post(
        PAYMENT.format(code=EMPLOYER), headers=_clerk(), json=payment))
    assert paid.json()["allocated"] == [{"month": "2026-01", "amount": january}]
    logged = _logged(api, "employer.pay")
    assert {pid for pid, entries in logged.items() if entries} == {w[0], w[1]}
    [entry] = logged[w[0]]
    assert (entry.actor_id, entry.route, entry.subject_count) == (
        "hn-clerk", "POST /api/v1/employers/{code}/payments", 2)  # one entry names both
    # which unit's payment, which months it paid: not its amount (a unit of two would tell
    # each worker the other's pay) nor its bank reference (free text)
    assert entry.detail == (f"unit {EMPLOYER}; payment {paid.json()['payment_id']}; "
                            "paid_on 2026-02-20; months 2026-01")
    again = api.client.post(PAYMENT.format(code=EMPLOYER), headers=_clerk(),
                            json={**payment, "reference": "vcb-log"})
    assert again.json()["replayed"] is True
    seqs = {pid: [e.seq for e in entries] for pid, entries in logged.items()}
    assert {pid: [e.seq for e in entries] for pid, entries in _logged(
        api, "employer.pay").items()} == seqs  # a replay changes nothing: not logged again


def test_a_regime_or_payment_method_changed_from_a_month_is_in_its_workers_logs(
        api: Api) -> None:
    w = _staffed(api)
    refused = api.client.put(SALARY_REGIME.format(code=EMPLOYER), headers=_clerk(),
                             json={"salary_regime": "state", "from_month": "2020-01"})
    assert refused.status_code == 422, refused.text  # before the unit's first month
    assert not any(_logged(api, "employer.change").values())
    for path, body in ((SALARY_REGIME, {"salary_regime": "state", "from_month": "2026-02"}),
                       (PAYMENT_CYCLE, {"payment_cycle": "3", "from_month": "2026-04"})):
        r = api.client.put(path.format(code=EMPLOYER), headers=_clerk(), json=body)
        assert r.status_code == 200, r.text
    logged = _logged(api, "employer.change")
    # Worker 1 left after 2026-01: neither change reaches a month of theirs.
    assert {pid: len(entries) for pid, entries in logged.items()} == {
        w[0]: 2, w[1]: 0, w[2]: 2, w[3]: 0}
    assert {(e.route, e.detail) for e in logged[w[0]]} == {
        ("PUT /api/v1/employers/{code}/salary-regime",
         f"unit {EMPLOYER}; salary_regime state; from 2026-02"),
        ("PUT /api/v1/employers/{code}/payment-cycle",
         f"unit {EMPLOYER}; payment_cycle 3; from 2026-04")}


def test_a_filing_names_its_unit_month_batch_and_declaration(api: Api) -> None:
    w = api.workers
    filed = api.file(csv_of([(w[0], "TM", 10_000_000, "2026-01"),
                             (w[1], "TM", 10_000_000, "2026-01")]))
    assert filed.status_code == 201, filed.text
    logged = _logged(api, "contribution.declare")
    [entry] = logged[w[0]]
    assert logged[w[1]] == [entry] and entry.subject_count == 2  # one value for the group
    assert entry.detail == (f"unit {EMPLOYER}; month 2026-01; batch 1; "
                            f"declaration {filed.json()['declaration_id']}")


def test_a_regime_or_payment_method_set_again_as_recorded_is_answered_and_logged_for_nobody(
        api: Api) -> None:
    """The same change sent again (its answer lost) changes nothing: answered as the first,
    with no entry in the workers' logs, and not refused by what has happened since (the
    months it starts from have fallen due)."""
    w = _staffed(api)
    changes = ((SALARY_REGIME, {"salary_regime": "state", "from_month": "2026-02"}),
               (PAYMENT_CYCLE, {"payment_cycle": "3", "from_month": "2026-04"}))
    first = [api.client.put(path.format(code=EMPLOYER), headers=_clerk(), json=body)
             for path, body in changes]
    assert [r.status_code for r in first] == [200, 200], [r.text for r in first]
    seqs = {pid: [e.seq for e in entries]
            for pid, entries in _logged(api, "employer.change").items()}
    # April filed since: its dues fell due by the method on record (end of July 2026).
    assert api.file(csv_of([(w[3], "TM", 10_000_000, "2026-04")]),
                    month="2026-04").status_code == 201
    again = [api.client.put(path.format(code=EMPLOYER), headers=_clerk(), json=body)
             for path, body in changes]
    assert [(r.status_code, r.json()) for r in again] == [(200, r.json()) for r in first]
    assert {pid: [e.seq for e in entries]
            for pid, entries in _logged(api, "employer.change").items()} == seqs


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from cli_store(tmp_path, monkeypatch)  # the unit and worker 0, with no period yet


def test_the_console_logs_its_remittances_and_changes_for_the_workers_they_reach(
        store: Engine, tmp_path: Path) -> None:
    (tmp_path / "d02.csv").write_bytes(csv_of([(worker_id(0), "TM", 10_000_000, "2026-01")]))
    assert sibook("declare", str(tmp_path / "d02.csv"), "--employer", EMPLOYER,
                  "--month", "2026-01")[0] == 0
    for command in (("payments", "post", "--employer", EMPLOYER, "--amount", "1000000",
                     "--reference", "VCB-CLI", "--date", "2026-02-20"),
                    ("employers", "regime", EMPLOYER, "--salary-regime", "state",
                     "--from", "2026-01"),
                    ("employers", "cycle", EMPLOYER, "--payment-cycle", "6",
                     "--from", "2026-07")):
        assert sibook(*command)[0] == 0
    with unit_of_work(store) as s:
        entries = audit.entries_for_person(
            session=s, person_id=reading.person_id_of(session=s, personal_id=worker_id(0)))
        payment_id = s.execute(text("SELECT payment_id FROM payments")).scalar_one()
        declaration_id = s.execute(text("SELECT declaration_id FROM declarations")).scalar_one()
        assert [(e.action, e.route, e.actor_kind, e.detail) for e in entries] == [
            ("employer.change", "cli: sibook employers cycle", "operator",
             f"unit {EMPLOYER}; payment_cycle 6; from 2026-07"),
            ("employer.change", "cli: sibook employers regime", "operator",
             f"unit {EMPLOYER}; salary_regime state; from 2026-01"),
            ("employer.pay", "cli: sibook payments post", "operator",
             f"unit {EMPLOYER}; payment {payment_id}; paid_on 2026-02-20; months 2026-01"),
            ("contribution.declare", "cli: sibook declare", "operator",
             f"unit {EMPLOYER}; month 2026-01; batch 1; declaration {declaration_id}")]
