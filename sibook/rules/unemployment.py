"""Unemployment benefit (trợ cấp thất nghiệp): monthly amount and number of benefit months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sibook.core.errors import ValidationError
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import REGIONS, book, parse_choice
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import as_field, check_money, check_months


@dataclass(frozen=True)
class UnemploymentResult:
    monthly_benefit: int
    duration_months: int
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"monthly_benefit": self.monthly_benefit, "duration_months": self.duration_months}


def unemployment_benefit(*, average_salary: int, contribution_months: int, region: str,
                         termination: date) -> UnemploymentResult:
    """Benefit for a contract ended on ``termination``: the rules and the regional minimum in
    force that month apply. The monthly amount is rounded once, then capped."""
    checked_region = parse_choice(region, REGIONS, field="region")
    check_money(average_salary, "average_salary")
    check_months(contribution_months, "contribution_months")
    on = Period.of(termination)
    trail = Trail({"average_salary": vnd(average_salary), "region": checked_region,
                   "contribution_months": str(contribution_months),
                   "termination": termination.isoformat()})
    with as_field("termination"):
        return _benefit(average_salary, contribution_months, checked_region, on, trail)


def _benefit(average_salary: int, months: int, region: str, on: Period, trail: Trail,
             ) -> UnemploymentResult:
    law = book()

    def param(name: str) -> int:
        return int(trail.fact(law.parameter(name, on)))

    least = param("ui_min_months")
    if months < least:
        raise ValidationError(field="contribution_months", reason=(
            f"unemployment benefit needs at least {least} months of UI contributions, "
            f"got {months}"))
    rate = trail.fact(law.parameter("ui_benefit_percent", on))
    cap, minimum = benefit_cap(region, on, trail)
    raw = round_vnd(average_salary * rate / 100)
    monthly = min(raw, cap)
    trail.step(f"{pct(rate)} x {vnd(average_salary)} = {vnd(raw)}, capped at "
               f"{cap // minimum} x region {region} minimum {vnd(minimum)} = {vnd(cap)}: "
               f"{vnd(monthly)} a month")
    duration = benefit_months(months, on, trail)
    return UnemploymentResult(monthly_benefit=monthly, duration_months=duration,
                              explanation=trail.done())


def benefit_cap(region: str, on: Period, trail: Trail | None = None) -> tuple[int, int]:
    """(the most a month of benefit pays, the regional minimum it is a multiple of) for a
    contract ended in ``on`` in ``region``."""
    law, t = book(), trail or Trail({})
    minimum = t.fact(law.regional_minimum(region, on))
    return int(t.fact(law.parameter("ui_benefit_cap_multiplier", on))) * minimum, minimum


def benefit_months(months: int, on: Period, trail: Trail | None = None) -> int:
    """How many months of benefit ``months`` of UI contributions give under the law in force in
    ``on`` (0 below the minimum to qualify)."""
    law, t = book(), trail or Trail({})

    def param(name: str) -> int:
        return int(t.fact(law.parameter(name, on)))

    least = param("ui_min_months")
    if months < least:
        return 0
    base, band = param("ui_base_duration"), param("ui_base_band_months")
    step, most = param("ui_step_months"), param("ui_max_duration")
    duration = min(base + max(months - band, 0) // step, most)
    t.step(f"{least}..{band} months give {base} months, +1 per further {step} months, "
           f"at most {most}: {months} months give {duration} months")
    return duration
