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


# Which of Art 72's rules took an average (``AverageRule.rule``).
WHOLE_PERIOD, STATE_WINDOW, BOTH = "whole_period", "state_scale_window", "both"
# The formula for both kinds of time: the guidance the row ``employer_set_average_years`` notes.
MIXED_FORMULA = "Circular 59/2015/TT-BLDTBXH Art 20(3)"


@dataclass(frozen=True)
class AverageRule:
    """Which rule took an average, for an answer to say: the whole period (pay the employer
    set, Art 72(2)), the state scale's window (Art 72(1)), or both together (Art 72(3), by
    Circular 59/2015 Art 20(3)'s formula); ``source``, the law rows' sources."""

    rule: str  # WHOLE_PERIOD | STATE_WINDOW | BOTH
    si_started: int
    window_years: int | None  # the state-scale months' window; None: all of them, or none
    source: str

    @property
    def text(self) -> str:
        span = "the whole period" if self.window_years is None else (
            f"the last {self.window_years} years")
        scale = f"{span} on the state's salary scale (SI started in {self.si_started})"
        if self.rule == WHOLE_PERIOD:
            return (f"the whole period: pay the employer set, or a voluntary income "
                    f"({self.source})")
        if self.rule == STATE_WINDOW:
            return f"{scale} ({self.source})"
        return (f"both kinds of time together: each month on the state's salary scale at the "
                f"average of {scale}, each month of pay set otherwise at its own, over all the "
                f"months ({self.source})")

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "si_started": self.si_started,
                "window_years": self.window_years, "source": self.source, "text": self.text}


@dataclass(frozen=True)
class AverageSalaryResult:
    average: int
    months_used: int  # the months whose salaries the average took
    explanation: Explanation
    rule: AverageRule


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
    state, used, window = sorted(state_history), 0, None
    total, months = revalued(own), len(own)
    sources = [rule.source] if own else []
    if state:
        fact = law.averaging_window(started, settlement)
        window = trail.fact(fact)
        sources.insert(0, fact.row.source)
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
    kind = WHOLE_PERIOD if not state else STATE_WINDOW if not own else BOTH
    return AverageSalaryResult(
        average=average, months_used=len(own) + used, explanation=trail.done(),
        rule=AverageRule(kind, started, window, "; ".join(
            [*sources, MIXED_FORMULA] if kind == BOTH else sources)))
