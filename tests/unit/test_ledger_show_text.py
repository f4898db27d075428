"""``sibook ledger show`` without --json: a month's status says how late the employer paid it
(FACTS §3.7, Decision 241/QD-BTC), beside "deducted, not remitted"."""

from __future__ import annotations

from typing import Any

import pytest

from sibook.cli.contributions import _show_person, _status
from sibook.core.period import Period


def month(status: str, days_late: int | None, deducted: bool = False) -> dict[str, Any]:
    return {"kind": "compulsory", "status": status, "deducted_not_remitted": deducted,
            "employer_days_late": days_late, "due": None, "paid": None}


@pytest.mark.parametrize(("m", "shown"), [
    (month("paid", 0), "paid"),
    (month("reported", None), "reported"),
    (month("paid", 10), "paid (employer 10 days late)"),
    (month("unpaid", 15, deducted=True), "unpaid (deducted, not remitted; employer 15 days late)"),
    ({**month("partly_paid", None), "kind": "voluntary", "due": 528_000, "paid": 100_000},
     "partly_paid (100,000 of 528,000)"),
])
def test_a_months_status_says_how_late_the_employer_paid(m: dict[str, Any], shown: str) -> None:
    assert _status(m) == shown


def test_a_summary_beneath_months_from_a_month_says_it_counts_every_month(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--from lists fewer months; the summary stays the whole record's, as the API's."""
    monkeypatch.setenv("COLUMNS", "200")
    ledger = {"personal_id": "001089012345", "months": [{**month("paid", 0), "month": "2026-02",
                                                        "employer": "0101234567", "basis": 1,
                                                        "employee_share": None,
                                                        "employer_share": None}],
              "summary": {"months": 14, "paid": 12, "unpaid": 2}}
    _show_person(ledger, since=Period(2026, 2))
    shown = capsys.readouterr().out
    assert "Contribution months of 001089012345 from 2026-02" in shown
    assert "Summary of every month, not only those listed" in shown
    _show_person(ledger)
    assert "Summary of every month" not in capsys.readouterr().out
