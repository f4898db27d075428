"""Pure calculators of dues and benefits (no I/O): each result explains itself.

Every function takes keyword arguments, reads the law only through :mod:`sibook.law`, raises
:class:`sibook.core.errors.ValidationError` naming the field and the valid range on bad input,
and returns a frozen result with an ``explanation`` (inputs, steps, law rows and sources).
Money is whole VND, rounded half up once per amount (see each module's docstring).
"""

from __future__ import annotations

from sibook.rules.averaging import AverageSalaryResult, average_salary
from sibook.rules.contribution import (
    ContributionResult,
    HouseholdHiResult,
    Share,
    compulsory_dues,
    household_hi_dues,
    self_chosen_dues,
    voluntary_dues,
)
from sibook.rules.explain import Explanation
from sibook.rules.late_payment import LateInterestResult, late_interest
from sibook.rules.lump_sum import LumpSumResult, one_time_withdrawal
from sibook.rules.maternity import (
    AllowanceResult,
    LeaveResult,
    childbirth_allowance,
    maternity_leave_benefit,
)
from sibook.rules.pension import PensionResult, pension
from sibook.rules.retirement import RetirementResult, retirement_age, retirement_date
from sibook.rules.sickness import SicknessResult, sickness_benefit
from sibook.rules.survivorship import (
    SurvivorResult,
    funeral_allowance,
    monthly_survivor_allowance,
    one_time_survivor_allowance,
    pensioner_survivor_allowance,
)
from sibook.rules.unemployment import UnemploymentResult, unemployment_benefit

__all__ = [
    "AllowanceResult", "AverageSalaryResult", "ContributionResult", "Explanation",
    "HouseholdHiResult", "LateInterestResult", "LeaveResult", "LumpSumResult", "PensionResult",
    "RetirementResult", "Share", "SicknessResult", "SurvivorResult", "UnemploymentResult",
    "average_salary", "childbirth_allowance", "compulsory_dues",
    "funeral_allowance", "household_hi_dues", "late_interest", "maternity_leave_benefit",
    "monthly_survivor_allowance", "one_time_survivor_allowance", "one_time_withdrawal",
    "pension", "pensioner_survivor_allowance", "retirement_age", "retirement_date",
    "self_chosen_dues", "sickness_benefit", "unemployment_benefit", "voluntary_dues",
]
