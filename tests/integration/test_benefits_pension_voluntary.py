"""A pension's years with voluntary months (Law 41/2024), on SQLite and PostgreSQL. At the
statutory age they count: 15 years of compulsory SI give the compulsory scheme's pension (Art
64(1)), fewer with voluntary months the voluntary scheme's, 15 years of SI of either kind (Arts
98, 111(1)(a)), both rated on all the years paid (Arts 66(1), 99(1), 5(3)). An early pension
for a reduced working capacity needs 20 years of compulsory SI (Art 65(1)): voluntary months do
not count towards them, when the claim is received or when it is decided."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.book.estimate import estimate
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import book_of, claim, count, older_worker, settle
from tests.integration.test_benefits_maternity_months import voluntary_paid

BORN_1966 = date(1966, 3, 15)  # 62 in 2027-12: a pension from 2026-04 is 21 months early


def test_voluntary_months_bring_a_pension_at_the_statutory_age_and_rate_it(
        engine: Engine) -> None:
    """162 compulsory months (13.5 years) and 24 voluntary: 186 months, 15.5 years, give the
    voluntary scheme's pension (Arts 98, 111(1)(a)) rated 40% + 0.5% on all of them (Art
    99(1), as Art 66(1) for a man with 15 to 20 years). Pinned: this was already so."""
    setup_workers(engine, 0)
    pid = older_worker(engine, since=Period(2010, 1), until=Period(2023, 6))  # retires 2025-06
    voluntary_paid(engine, pid, Period(2023, 7), Period(2025, 6), date(2025, 7, 5))
    got = claim(engine, pid, Claim(Regime.PENSION, "HS-HT-V1", date(2025, 7, 5),
                                   date(2025, 7, 1)))
    assert got["status"] == "claimed"
    answer = estimate(book_of(engine, pid, date(2025, 7, 10)), Period(2025, 7))
    assert (answer["si_months"], answer["pension"]["rate_percent"]) == (186, 40.5)
    monthly = answer["pension"]["monthly_pension"]
    assert monthly is not None
    done = settle(engine, pid, "HS-HT-V1", Decision(
        "settled", date(2025, 7, 10), "V1/QĐ", monthly_amount=monthly,
        from_month=Period(2025, 7)))
    assert done["status"] == "settled"


def test_an_early_pension_counts_compulsory_months_only(engine: Engine) -> None:
    """234 compulsory months and 8 voluntary: 242 months of SI, but 19.5 years of compulsory
    SI, under the 20 an early pension needs (Art 65(1)). It was received (and settled)."""
    setup_workers(engine, 0)
    pid = older_worker(engine, born=BORN_1966, since=Period(2006, 1))  # to 2025-06
    voluntary_paid(engine, pid, Period(2025, 7), Period(2026, 2), date(2026, 3, 1))
    with pytest.raises(ValidationError) as short:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-V2", date(2026, 3, 1),
                                 date(2026, 4, 1), capacity_loss_percent=85))
    assert short.value.problems[0].field == "regime"
    assert short.value.problems[0].reason == (
        "234 months of compulsory SI count on 2026-03-01 (the other 8 voluntary, which an "
        "early pension does not count: with fewer years of compulsory SI, Law 41/2024 Art "
        "111(1)(a) gives the voluntary scheme's pension, at the statutory age only, Art 98), "
        "at most 234 by the pension's start on 2026-04-01: a pension 21 months before "
        "retirement age needs 20 years (240 months; Law 41/2024/QH15 Art 65(1))")
    # Received before this check: refused when decided, by the record then.
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["benefit_claims"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), claim_no=1,
            regime="pension", dossier_no="HS-HT-V3", dossier_key="HS-HT-V3",
            received_on=date(2026, 3, 1), event_from=date(2026, 4, 1),
            capacity_loss_percent=85, recorded_by="clerk"))
    with pytest.raises(ValidationError) as decided:
        settle(engine, pid, "HS-HT-V3", Decision(
            "settled", date(2026, 3, 10), "V3/QĐ", monthly_amount=4_000_000,
            from_month=Period(2026, 4)))
    assert decided.value.problems[0].reason.startswith(
        "234 months of compulsory SI count on 2026-03-10 (the other 8 voluntary")
    assert count(engine, "benefit_decisions") == 0


def test_the_lowest_pension_is_for_20_years_of_compulsory_si(engine: Engine) -> None:
    """222 compulsory months (18.5 years) and 24 voluntary: 246 months rate 46%, and 46% of the
    4,000,000 the decision states is 1,840,000, under the reference level (2,340,000), which
    Law 41/2024 Art 141(11) pays only with 20 years of compulsory SI. It was raised to it."""
    setup_workers(engine, 0)
    pid = older_worker(engine, since=Period(2005, 1), until=Period(2023, 6))  # retires 2025-06
    voluntary_paid(engine, pid, Period(2023, 7), Period(2025, 6), date(2025, 7, 5))
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-V4", date(2025, 7, 5), date(2025, 7, 1)))
    with pytest.raises(ValidationError) as raised:
        settle(engine, pid, "HS-HT-V4", Decision(
            "settled", date(2025, 7, 10), "V4/QĐ", monthly_amount=2_340_000,
            from_month=Period(2025, 7), average_salary=4_000_000))
    assert raised.value.problems[0].reason.startswith(
        "2,340,000 VND a month is not the pension the record gives, 1,840,000 VND: 246 months")
    assert "--voluntary-months 24 " in raised.value.problems[0].reason
    done = settle(engine, pid, "HS-HT-V4", Decision(
        "settled", date(2025, 7, 10), "V4/QĐ", monthly_amount=1_840_000,
        from_month=Period(2025, 7), average_salary=4_000_000))
    assert done["status"] == "settled"
