"""Retirement age (tuổi nghỉ hưu) and retirement date under normal working conditions.

Labour Code 2019 Art 169(2) raises the age each year (men from 60y3m in 2021 by 3 months a year
to 62 in 2028; women from 55y4m by 4 months a year to 60 in 2035); Decree 135/2020 Appendix I
gives it by birth month: a person retires at the age of the first year in which they reach that
year's age. Decree 135/2020 Art 3: the retirement is at the end of the last day of the month the
age is reached, the pension is paid from the first day of the next month, and a record holding
only the year of birth counts from 1 January (the caller passes that day: the registry holds
full dates). The table lives in ``sibook/law/data/retirement_age.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sibook.core.period import Period
from sibook.law import SEXES, Sex, book, parse_choice
from sibook.rules.explain import Explanation, Trail
from sibook.rules.inputs import as_field


@dataclass(frozen=True)
class RetirementResult:
    sex: Sex
    age_months: int
    reached: Period  # the month the age is reached
    explanation: Explanation

    @property
    def retirement_date(self) -> date:
        """The last day of the month the age is reached (Decree 135/2020 Art 3(1))."""
        return self.reached.last_day

    @property
    def pension_from(self) -> Period:
        """The first month a pension is paid for (Decree 135/2020 Art 3(2))."""
        return self.reached + 1

    def reached_on(self, day: date) -> bool:
        """Whether the person has retired by ``day`` (the end of the month the age is reached
        is past: a pension may start that day)."""
        return day >= self.pension_from.first_day

    def as_dict(self) -> dict[str, object]:
        return {"age": age_text(self.age_months),
                "retirement_date": self.retirement_date.isoformat(),
                "pension_from": str(self.pension_from)}


def age_text(months: int) -> str:
    """``735`` -> ``"61 years 3 months"`` (``"62 years"`` without odd months)."""
    years, odd = divmod(months, 12)
    return f"{years} years" + (f" {odd} months" if odd else "")


def retirement_age(*, sex: str, birth_date: date) -> RetirementResult:
    """The statutory retirement age of a person of ``sex`` born on ``birth_date``, and the
    month they reach it. Raises NoRuleInForce (field ``birth_date``) for a birth so early that
    the age was reached before the law tables begin."""
    checked: Sex = parse_choice(sex, SEXES, field="sex")
    born = Period.of(birth_date)
    trail = Trail({"sex": checked, "birth_date": birth_date.isoformat()})
    with as_field("birth_date"):
        age = trail.fact(book().retirement_age(checked, born))
    reached = born + age
    trail.step(f"born {born}: retirement age {age_text(age)} (the age in force in the first "
               f"year it is reached), reached in {reached}")
    trail.step(f"retired at the end of {reached.last_day.isoformat()}; pension from "
               f"{reached + 1}")
    return RetirementResult(checked, age, reached, trail.done())


def retirement_date(*, sex: str, birth_date: date) -> date:
    """The day a person of ``sex`` born on ``birth_date`` retires under normal conditions."""
    return retirement_age(sex=sex, birth_date=birth_date).retirement_date
