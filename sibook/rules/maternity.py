"""Maternity (chế độ thai sản): the one-time childbirth allowance and the leave benefit."""

from __future__ import annotations

from dataclasses import dataclass

from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import check_money, check_range

# Not a law value: a sanity bound on the number of children born at once.
MAX_CHILDREN = 10


@dataclass(frozen=True)
class AllowanceResult:
    amount: int
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"amount": self.amount}


def childbirth_allowance(*, month: Period, children: int, voluntary: bool = False,
                         ) -> AllowanceResult:
    """One-time allowance per child born or adopted in ``month`` (exact: no rounding needed)."""
    check_range(children, "children", low=1, high=MAX_CHILDREN)
    law = book()
    trail = Trail({"month": str(month), "children": str(children), "voluntary": str(voluntary)})
    if voluntary:
        per_child = int(trail.fact(law.parameter("voluntary_maternity_allowance", month)))
        trail.step(f"voluntary SI: {vnd(per_child)} per child")
    else:
        multiple = trail.fact(law.parameter("maternity_allowance_multiplier", month))
        reference = trail.fact(law.reference_level(month))
        per_child = int(multiple * reference)
        trail.step(f"{multiple} x reference level {vnd(reference)} = {vnd(per_child)} per child")
    amount = per_child * children
    trail.step(f"{vnd(per_child)} x {children} {'child' if children == 1 else 'children'} = "
               f"{vnd(amount)}")
    return AllowanceResult(amount=amount, explanation=trail.done())


@dataclass(frozen=True)
class LeaveResult:
    months: int
    amount: int
    explanation: Explanation


def maternity_leave_benefit(*, month: Period, average_salary: int, children: int = 1,
                            ) -> LeaveResult:
    """Benefit for the whole birth leave of a mother; rounded once, half up."""
    check_money(average_salary, "average_salary")
    check_range(children, "children", low=1, high=MAX_CHILDREN)
    law = book()
    trail = Trail({"month": str(month), "average_salary": vnd(average_salary),
                   "children": str(children)})
    base = int(trail.fact(law.parameter("maternity_leave_months", month)))
    extra = int(trail.fact(law.parameter("maternity_extra_child_months", month)))
    months = base + extra * (children - 1)
    extras = f"{children - 1} extra {'child' if children == 2 else 'children'}"
    trail.step(f"leave = {base} months + {extra} x {extras} = {months}")
    rate = trail.fact(law.parameter("maternity_benefit_percent", month))
    amount = round_vnd(average_salary * rate / 100 * months)
    trail.step(f"benefit = {pct(rate)} x {vnd(average_salary)} x {months} months = {vnd(amount)}")
    return LeaveResult(months=months, amount=amount, explanation=trail.done())
