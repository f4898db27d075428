"""``sibook ledger show`` without --json: a month's status says how late the employer paid it
(FACTS §3.7, Decision 241/QD-BTC), beside "deducted, not remitted"."""

from __future__ import annotations

from typing import Any

import pytest

from sibook.cli.contributions import _status


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
