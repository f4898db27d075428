"""A pension settled by the law in force when it starts, on SQLite and PostgreSQL: the years of
SI it needs are 20 to June 2025 (Law 58/2014 Art 54) and 15 from July (Law 41/2024 Art 64; Art
5(7): a benefit is settled under the law in force when it is enjoyed), for the pension and for
a one-time withdrawal on ground a."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from sibook.benefits.domain import Claim, Regime
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import claim, older_worker

# A man born in February 1964 reaches 61y3m in May 2025 (Decree 135/2020): a pension from June.
RETIRES_2025_05 = date(1964, 2, 15)
SINCE_2008 = Period(2008, 1)  # to 2025-06: 210 months, 17.5 years of SI


def test_a_pension_from_june_2025_needed_20_years_and_one_from_july_15(engine: Engine) -> None:
    setup_workers(engine, 0)
    pid = older_worker(engine, born=RETIRES_2025_05, since=SINCE_2008)
    with pytest.raises(ValidationError) as june:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L1", date(2025, 5, 10),
                                 date(2025, 6, 1)))
    assert june.value.problems[0].field == "regime"
    assert ("at most 209 by the pension's start on 2025-06-01: a pension needs 20 years "
            "(240 months; Law 58/2014 Art 54)") in june.value.problems[0].reason
    july = claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L2", date(2025, 5, 10),
                                    date(2025, 7, 1)))
    assert july["status"] == "claimed"


def test_a_withdrawal_at_retirement_age_is_for_under_20_years_to_june_2025_then_15(
        engine: Engine) -> None:
    """Art 70(1)(a): reached retirement age without the years a pension needs, those of the
    law in force when the withdrawal is claimed."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=RETIRES_2025_05, since=SINCE_2008, until=Period(2025, 5))
    june = claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-L1", date(2025, 6, 20),
                                    ground="retirement_age"))
    assert june["status"] == "claimed"
    with pytest.raises(ValidationError) as july:
        claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-L2", date(2025, 7, 2),
                                 ground="retirement_age"))
    assert july.value.problems[0].field == "ground"
    assert ("17.4 years of SI: at 15 or more a pension is due, not a one-time withdrawal"
            in july.value.problems[0].reason)

