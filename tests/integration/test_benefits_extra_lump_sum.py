"""Law 41/2024 Art 68 (FACTS §4.1), on SQLite and PostgreSQL: a pension settled for more years
of SI than give the maximum rate pays the extra lump sum once (the decision's ``amount``, which
``sibook rules pension`` computes as ``extra_lump_sum``); one settled for fewer pays none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, count, older_worker, settle

PENSION = Claim(Regime.PENSION, "HS-HT-68", date(2025, 8, 1), date(2025, 9, 1))


def decision(amount: int | None) -> Decision:
    return Decision("settled", date(2025, 8, 20), "68/QĐ", amount=amount,
                    monthly_amount=7_500_000, from_month=Period(2025, 9))


def test_a_woman_with_30_years_6_months_is_paid_the_extra_lump_sum_with_her_pension(
        engine: Engine) -> None:
    """366 months count 30.5 years, half a year beyond the 30 that give 75%: the settlement
    without the extra lump sum was taken, leaving it unpaid."""
    setup_workers(engine, 0)
    # Born March 1968: 56y4m, reached in 2024-07 (Decree 135/2020); SI 1995-01 to 2025-06.
    pid = older_worker(engine, born=date(1968, 3, 15), sex="female", since=Period(1995, 1))
    claim(engine, pid, PENSION)
    with pytest.raises(ValidationError) as unpaid:
        settle(engine, pid, PENSION.dossier_no, decision(None))
    assert unpaid.value.problems[0].field == "amount"
    assert ("366 months of SI count on 2025-08-20: 0.5 years beyond the 30 that give the "
            "maximum rate (0.5 of them in the 11 months paid after the retirement age was "
            "reached in 2024-07, at the higher rate of Art 68(2))"
            ) in unpaid.value.problems[0].reason
    assert count(engine, "benefit_decisions") == 0
    done = settle(engine, pid, PENSION.dossier_no, decision(2_500_000))
    assert (done["status"], done["decision"]["amount"]) == ("settled", 2_500_000)


def test_a_man_with_20_years_6_months_is_paid_no_extra_lump_sum(engine: Engine) -> None:
    setup_workers(engine, 0)
    pid = older_worker(engine)  # 246 months: 20.5 years, the maximum rate needs 35
    claim(engine, pid, PENSION)
    with pytest.raises(ValidationError) as extra:
        settle(engine, pid, PENSION.dossier_no, decision(2_500_000))
    assert extra.value.problems[0].field == "amount"
    assert "no year beyond the 35 that give the maximum rate" in extra.value.problems[0].reason
    assert settle(engine, pid, PENSION.dossier_no, decision(None))["status"] == "settled"
