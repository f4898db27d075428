"""Late payment interest (tiền chậm đóng) and when late payment becomes evasion (trốn đóng)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sibook.core.money import percent_of, round_vnd
from sibook.core.period import Period
from sibook.law import book
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import PLAUSIBLE_MAX_DAYS, PLAUSIBLE_MAX_DUES, check_range


@dataclass(frozen=True)
class LateInterestResult:
    interest: int
    evasion: bool
    evasion_from_day: int
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"interest": self.interest, "evasion": self.evasion}


def late_interest(*, amount: int, days_late: int, on: Period) -> LateInterestResult:
    """Interest on ``amount`` paid ``days_late`` days after the deadline, rules in force ``on``.

    Rounded once: amount x daily rate x days, half up to whole dong. An ``amount`` of 0 is
    answered, not refused: nothing owed accrues nothing (Art 40(1)) and evades nothing.
    """
    check_range(amount, "amount", low=0, high=PLAUSIBLE_MAX_DUES, unit="VND")
    check_range(days_late, "days_late", low=0, high=PLAUSIBLE_MAX_DAYS, unit="days")
    law = book()
    trail = Trail({"amount": vnd(amount), "days_late": str(days_late), "month": str(on)})
    rate = trail.fact(law.parameter("late_interest_daily_percent", on))
    first_evasion_day = int(trail.fact(law.parameter("evasion_from_day", on)))
    interest = _interest(amount, rate, days_late)
    trail.step(f"interest = {vnd(amount)} x {pct(rate)} per day x {days_late} days "
               f"= {vnd(interest)} (rounded once)")
    evasion = _evasion(trail, amount, days_late, first_evasion_day)
    return LateInterestResult(interest=interest, evasion=evasion,
                              evasion_from_day=first_evasion_day, explanation=trail.done())


def _evasion(trail: Trail, amount: int, days_late: int, first_evasion_day: int) -> bool:
    """Evasion from ``first_evasion_day`` after the deadline, the step saying so in ``trail``.
    Law 41/2024 Art 38(1) and Art 39(1)(đ) make late payment and evasion an amount owed not
    paid: with nothing owed, neither, however many days."""
    if amount == 0:
        trail.step("nothing owed is neither late payment nor evasion (Law 41/2024/QH15 "
                   "Art 38(1), Art 39(1)(đ)), however many days")
        return False
    evasion = days_late >= first_evasion_day
    trail.step(f"day {first_evasion_day} after the deadline is the first day of evasion: "
               f"{days_late} days late is {'evasion' if evasion else 'late payment only'}")
    return evasion


def _interest(amount: int, daily_percent: Decimal, days_late: int) -> int:
    """Rounded once: amount x daily rate x days, half up to whole dong."""
    return round_vnd(percent_of(amount, daily_percent) * days_late)
