"""Registering an employer (a unit): what it needs and the checks it must pass before it is
stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.ids import unit_code_problems
from sibook.law import REGIONS
from sibook.registry.domain import (
    REALMS,
    change_ahead_problem,
    composed_texts,
    province_code_problem,
    salary_regime_problem,
    text_problem,
)

# Longest text each field holds (the store's column widths): every door (CLI, API, import file)
# is checked against these before anything is written.
EMPLOYER_TEXT = {"name": 200, "address": 200, "business_type": 60}


@dataclass(frozen=True)
class NewEmployer:
    code: str
    name: str
    province_code: str
    region: str
    address: str | None = None
    business_type: str | None = None
    realm: str = "civil"  # a unit of the defence or public-security ministry: its realm
    payment_cycle: str = "monthly"  # or "3", "6": months per payment (contributions.cycles)
    payment_cycle_from: Period | None = None  # None: the month registered
    salary_regime: str | None = None  # employer | state; None: state in a realm, else employer

    def __post_init__(self) -> None:
        composed_texts(self)

    @property
    def regime(self) -> str:
        """The unit's salary regime, the realm's when none was given."""
        if self.salary_regime is not None:
            return self.salary_regime
        return "employer" if self.realm == "civil" else "state"


def payment_cycle_problem(cycle: str) -> str | None:
    if cycle in PAYMENT_CYCLES:
        return None
    return f"must be {', '.join(PAYMENT_CYCLES)} (months per payment), got {cycle!r}"


def employer_problems(e: NewEmployer, today: date | None = None) -> list[Problem]:
    # Shape only: the check digit belongs to the business-registration database that issues the
    # code, and units registered before its rules carry codes that would fail it.
    problems = [
        Problem(field="code", reason=p.reason)
        for p in unit_code_problems(e.code, check_digit=False)
    ]
    if not e.name.strip():
        problems.append(Problem(field="name", reason="must not be empty"))
    for name, limit in EMPLOYER_TEXT.items():
        reason = text_problem(getattr(e, name), limit)
        if reason:
            problems.append(Problem(field=name, reason=reason))
    if e.realm not in REALMS:
        problems.append(Problem(field="realm", reason=f"must be one of {', '.join(REALMS)}, "
                                                      f"got {e.realm!r}"))
    if (reason := salary_regime_problem(e.regime, e.realm)) is not None:
        problems.append(Problem(field="salary_regime", reason=reason))
    if e.region not in REGIONS:
        problems.append(
            Problem(field="region", reason=f"must be I, II, III or IV, got {e.region!r}")
        )
    if (reason := payment_cycle_problem(e.payment_cycle)) is not None:
        problems.append(Problem(field="payment_cycle", reason=reason))
    if e.payment_cycle_from is not None and (reason := change_ahead_problem(
            e.payment_cycle_from, today or date.today())) is not None:
        problems.append(Problem(field="payment_cycle_from", reason=reason))
    if (reason := province_code_problem(e.province_code, "a unit")) is not None:
        problems.append(Problem(field="province_code", reason=reason))
    return problems
