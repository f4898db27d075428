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

A change is from the unit's first month on, the month its first worker was insured (its first
participation): a month before it paid nobody, so a change from it would record a date the unit
never paid in (1990-01 for a unit first paying in 2020). sibook keeps no registration date of a
unit, and one would not do: units are registered with careers reaching back before the store
was (a migration, the seed's since 1995). A unit that has had no worker yet has no first month
on record, so any month is taken: its workers' history may yet be recorded.

A change never reaches back past a month a settled pension or one-time withdrawal of one of the
unit's workers averaged (``benefits.records.averaged_at``): its amounts were settled on that
average, and the book's estimate and the settlement's check would otherwise price it again on
another, as the payment method is never changed from a month already due
(``registry.service.change_payment_cycle``). A settlement at the same moment holds the units
its person's months were paid by (``registry.reading.hold_units_of``) as this holds the unit:
whichever comes second waits, then sees the first (this refused, or that priced on the change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sibook.benefits.records import averaged_at
from sibook.contributions.reached import workers_from
from sibook.contributions.service import first_insured
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.registry.domain import change_ahead_problem, salary_regime_problem
from sibook.registry.reading import employer_by_code
from sibook.registry.store import SalaryRegimeChange


def change_salary_regime(*, session: Session, code: str, regime: str,
                         from_month: Period, today: date | None = None) -> list[int]:
    """The unit ``code`` pays by ``regime`` (employer | state) from ``from_month`` on, a change
    recorded from that month before replaced; the persons whose books it changes (the
    unit's workers from that month on) are returned, for the access log; none for the change
    recorded so before, which is answered as it was, whatever was settled since. Refused (field
    ``salary_regime``) for a regime not listed, or ``employer`` for a unit of a ministry's
    realm; (``employer``) for a unit nobody holds; (``from_month``) from a month before the
    unit's first or more than a year ahead; a conflict (``from_month``) from a month a settled
    benefit averaged."""
    employer = employer_by_code(session=session, code=code, lock=True)
    if (reason := salary_regime_problem(regime, employer.realm)) is not None:
        raise ValidationError(field="salary_regime", reason=reason)
    if (reason := change_ahead_problem(from_month, today or date.today())) is not None:
        raise ValidationError(field="from_month", reason=reason)
    if session.scalar(select(SalaryRegimeChange.salary_regime).where(
            SalaryRegimeChange.employer_id == employer.employer_id,
            SalaryRegimeChange.from_month == from_month.index)) == regime:
        return []  # recorded so before (its answer lost): nothing changes, nobody is logged
    first = first_insured(session=session, employer_id=employer.employer_id)
    if first is not None and from_month < first:
        raise ValidationError(field="from_month", reason=(
            f"{from_month} is before the unit's first month, {first}, when its first worker "
            f"was insured: it paid nobody before, so its regime changes from {first} on (a "
            f"regime registered wrong is corrected from {first})"))
    settled = averaged_at(session=session, employer_id=employer.employer_id, since=from_month)
    if settled is not None:
        benefits = ("1 settled pension or one-time withdrawal" if settled.benefits == 1 else
                    f"{settled.benefits} settled pensions or one-time withdrawals")
        raise ConflictError(
            f"{benefits} of the unit's workers averaged its months up to {settled.last}: the "
            f"regime can change from {settled.last + 1} on, so the amounts settled stay those "
            "the record gave", field="from_month")
    session.execute(delete(SalaryRegimeChange).where(
        SalaryRegimeChange.employer_id == employer.employer_id,
        SalaryRegimeChange.from_month == from_month.index))
    session.add(SalaryRegimeChange(employer_id=employer.employer_id,
                                   from_month=from_month.index, salary_regime=regime))
    session.flush()
    return workers_from(session=session, employer_id=employer.employer_id, since=from_month)


@dataclass(frozen=True)
class RegimeHistory:
    """A unit's salary regime over time: the one it was registered with, then its changes
    (from month, regime), ascending."""

    code: str
    registered: str
    changes: tuple[tuple[Period, str], ...]

    def in_force(self, month: Period) -> str:
        """The regime of ``month``: the latest change from it or before, else the registered."""
        return next((regime for start, regime in reversed(self.changes) if start <= month),
                    self.registered)

    def as_dict(self, today: date | None = None) -> dict[str, object]:
        """The answer of `employers regimes` and of the API, ``in_force`` this month's."""
        return {"code": self.code, "registered": self.registered,
                "changes": [{"from_month": str(start), "salary_regime": regime}
                            for start, regime in self.changes],
                "in_force": self.in_force(Period.of(today or date.today()))}


def regime_history(*, session: Session, code: str) -> RegimeHistory:
    """The unit ``code``'s regimes over time; refused (field ``employer``) for a unit nobody
    holds."""
    employer = employer_by_code(session=session, code=code)
    changes = session.execute(
        select(SalaryRegimeChange.from_month, SalaryRegimeChange.salary_regime)
        .where(SalaryRegimeChange.employer_id == employer.employer_id)
        .order_by(SalaryRegimeChange.from_month)).all()
    return RegimeHistory(code, employer.salary_regime,
                         tuple((Period.from_index(start), regime) for start, regime in changes))
