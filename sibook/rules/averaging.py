"""The average monthly salary a pension or a one-time withdrawal is paid on (mức bình quân tiền
lương tháng đóng BHXH), by who set the salary (Law 41/2024 Art 72; Law 58/2014 Art 62):

- salary on the state's scale (a state agency or public unit paying by it): the last years
  before retirement, by the year SI started (``averaging_windows``; Art 72(1));
- salary the employer set: the whole period of SI (Art 72(2));
- both kinds of time: one average over all the months, each state-scale month counted at the
  state-scale months' own window average (Art 72(3)): ``(S x state average + sum of the
  employer-set salaries) / (S + E months)``, the window being the last years of the state-scale
  months even across breaks (Circular 59/2015/TT-BLDTBXH Art 20(3), examples 36-37, guiding Law
  58 Art 62(3), whose wording Art 72(3) keeps; ``employer_set_average_years`` cites both).

Every salary is revalued by the coefficients for benefits starting in the year asked (Art 73;
Decree 158/2025 Art 16), and the average rounded once, to the dong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sibook.core.errors import ValidationError
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.explain import Explanation, Trail, vnd

Salaries = Sequence[tuple[Period, int]]


@dataclass(frozen=True)
class AverageSalaryResult:
    average: int
    months_used: int  # the months whose salaries the average took
    explanation: Explanation


def average_salary(*, history: Salaries, started: int, settlement: Period,
                   revalued_for: int | None = None, state_history: Salaries = ()
                   ) -> AverageSalaryResult:
    """Average of the revalued monthly salaries by the rules in force in ``settlement`` (the
    month the benefit starts: Law 58/2014 Art 62 to 2025-06, Law 41/2024 Art 72 from 2025-07),
    revalued by the coefficients for benefits starting in ``revalued_for`` (default
    ``settlement``'s year; a year's table is for the benefits that start in it).
    ``history``: the months whose salary the employer set (or a voluntary income), averaged
    over the whole period; ``state_history``: the months paid by the state's salary scale,
    averaged over the window for the year SI ``started``; both: the module's formula."""
    if not history and not state_history:
        raise ValidationError(field="history", reason="needs at least one month of salary")
    law = book()
    year = settlement.year if revalued_for is None else revalued_for
    trail = Trail({"months": str(len(history) + len(state_history)), "started": str(started),
                   "state_scale_months": str(len(state_history)),
                   "settlement": str(settlement), "revalued_for": str(year)})
    rule = law.table("parameters").at("employer_set_average_years", settlement)
    if history:  # cited where it applies; looked up always, refusing a month before its rules
        trail.use(rule)

    def revalued(months: Salaries) -> Decimal:
        return sum((salary * trail.fact(law.revaluation(month.year, Period(year, 1)))
                    for month, salary in months), Decimal(0))

    own = sorted(history)
    if own:
        trail.step(f"{len(own)} months of salary set by the employer: each counted, over the "
                   f"whole period ({rule.source})")
    state, used = sorted(state_history), 0
    total, months = revalued(own), len(own)
    if state:
        window = trail.fact(law.averaging_window(started, settlement))
        last = state if window is None else state[-window * 12:]
        mean = revalued(last) / len(last)
        span = "the whole period" if window is None else f"the last {window} years"
        trail.step(f"{len(state)} months on the state's salary scale, SI started in {started}: "
                   f"average over {span} of that scale ({len(last)} months) = "
                   f"{vnd(round_vnd(mean))}" + (f", counted for each of the {len(state)} months "
                                                f"({rule.source})" if own else ""))
        total, months, used = total + mean * len(state), months + len(state), len(last)
    average = round_vnd(total / months)
    trail.step(f"revalued by the coefficients for benefits starting in {year}: "
               f"{vnd(total)} / {months} months = {vnd(average)}")
    return AverageSalaryResult(average=average, months_used=len(own) + used,
                               explanation=trail.done())
