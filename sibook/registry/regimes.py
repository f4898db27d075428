"""A unit's salary regime over time: who set the pay of each month it paid, the employer or the
state's salary scale, which decides the years a pension averages (Law 41/2024/QH15 Art 72).

A unit is registered with a regime (``Employer.salary_regime``, migration 0023); it may change
(a public unit becomes a company, an enterprise is taken over by the state) or have been
registered wrong. Each change is kept from a month on, until the next one
(``SalaryRegimeChange``, migration 0024), as payment methods are (``contributions.cycles``): the
months before a unit's first change keep the regime it was registered with, so a regime
registered wrong is corrected by a change from the unit's first month. A change from a month
already recorded replaces it; the months before keep theirs. The units of the defence and
public-security realms pay by the state's scale and are refused ``employer``.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry.domain import salary_regime_problem
from sibook.registry.reading import employer_by_code
from sibook.registry.store import SalaryRegimeChange


def change_salary_regime(*, session: Session, code: str, regime: str,
                         from_month: Period) -> None:
    """The unit ``code`` pays by ``regime`` (employer | state) from ``from_month`` on, a change
    recorded from that month before replaced. Refused (field ``salary_regime``) for a regime
    not listed, or ``employer`` for a unit of a ministry's realm; (``employer``) for a unit
    nobody holds."""
    employer = employer_by_code(session=session, code=code, lock=True)
    if (reason := salary_regime_problem(regime, employer.realm)) is not None:
        raise ValidationError(field="salary_regime", reason=reason)
    session.execute(delete(SalaryRegimeChange).where(
        SalaryRegimeChange.employer_id == employer.employer_id,
        SalaryRegimeChange.from_month == from_month.index))
    session.add(SalaryRegimeChange(employer_id=employer.employer_id,
                                   from_month=from_month.index, salary_regime=regime))
    session.flush()
