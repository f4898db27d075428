"""Monthly pension (lương hưu): rate, amount, the extra lump sum, and the average salary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sibook.core.errors import ValidationError
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import SEXES, LawRow, NoRuleInForce, book, parse_choice
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import check_money, check_months, check_range


@dataclass(frozen=True)
class PensionResult:
    rate_percent: Decimal
    monthly_pension: int | None
    extra_lump_sum: int | None
    explanation: Explanation

    def as_dict(self) -> dict[str, object]:
        return {"rate_percent": float(self.rate_percent), "monthly_pension": self.monthly_pension,
                "extra_lump_sum": self.extra_lump_sum}


def benefit_years(months: int, on: Period, trail: Trail) -> Decimal:
    """Years counted for a benefit: odd months up to the limit count half a year, more a year."""
    half_upto = int(trail.fact(book().parameter("odd_months_half_year_upto", on)))
    whole, odd = divmod(months, 12)
    extra = Decimal(0) if odd == 0 else Decimal("0.5") if odd <= half_upto else Decimal(1)
    years = whole + extra
    trail.step(f"{months} months = {whole} years and {odd} odd months -> {years} years "
               f"(1..{half_upto} odd months count half a year, more count a year)")
    return years


def pension(*, sex: str, contribution_months: int, on: Period, months_early: int = 0,
            average_salary: int | None = None, months_past_retirement_age: int = 0,
            voluntary_months: int = 0) -> PensionResult:
    """Pension starting in month ``on``, priced by the rules in force then (Law 41/2024 Art
    5(7)): Law 58/2014's from 2016-01, Law 41/2024's from 2025-07; refused before the first
    (``NoRuleInForce``). Amounts need the average salary; the monthly pension is at least the
    lowest pension of the law then (``min_pension_*``). A retirement ``months_early`` needs the
    years of SI of the early-retirement rules (Law 41/2024 Art 65(1), Law 58/2014 Art 55(1)),
    whichever case allows it (an especially hazardous job too: its 15 years are years in the
    job, not fewer of SI). ``months_past_retirement_age``: of the months, those paid after the
    statutory age was reached; the years above the maximum rate among them earn a larger extra
    lump sum where the law pays one. ``voluntary_months``: of the months, those paid to
    voluntary SI only: they count towards the rate (Law 41/2024 Arts 66(1), 99(1), 5(3)), not
    towards an early pension's years (Art 65(1)) nor the lowest pension's (Art 141(11); Law
    58/2014 Art 56(6) is the compulsory scheme's, which Art 71 gives with 20 years of
    compulsory SI, from recollection): years of compulsory SI, both."""
    checked_sex = parse_choice(sex, SEXES, field="sex")
    check_months(contribution_months, "contribution_months")
    check_priced(on)
    law = book()
    trail = Trail({"sex": checked_sex, "contribution_months": str(contribution_months),
                   "months_early": str(months_early), "month": str(on),
                   "average_salary": vnd(average_salary) if average_salary else "none",
                   "months_past_retirement_age": str(months_past_retirement_age)}
                  | ({"voluntary_months": str(voluntary_months)} if voluntary_months else {}))
    max_early = int(trail.fact(law.parameter("max_early_months", on)))
    check_range(months_early, "months_early", low=0, high=max_early, unit="months")
    check_range(months_past_retirement_age, "months_past_retirement_age", low=0,
                high=contribution_months, unit="months (at most contribution_months)")
    check_range(voluntary_months, "voluntary_months", low=0, high=contribution_months,
                unit="months (at most contribution_months)")
    compulsory = contribution_months - voluntary_months
    if months_early and months_past_retirement_age:
        raise ValidationError(field="months_past_retirement_age", reason=(
            "a pension that starts early has no months paid past the retirement age"))
    if months_early:
        needed = int(trail.fact(law.parameter("early_min_years", on)))
        if compulsory < needed * 12:
            left = "" if not voluntary_months else (
                f" of compulsory SI (the {voluntary_months} voluntary months do not count)")
            raise ValidationError(field="months_early", reason=(
                f"early retirement needs {needed} years of SI, also from an especially "
                f"hazardous job ({law.parameter('early_min_years', on).row.source}), got "
                f"{compulsory // 12} years {compulsory % 12} months{left}"))
    band = trail.use(law.pension_band(checked_sex, contribution_months // 12, on))
    trail.step(f"a pension starting in {on} is priced by the law in force then: {band.source} "
               f"(rows from {band.valid_from}; Law 41/2024 Art 5(7))")
    years = benefit_years(contribution_months, on, trail)
    base, step = band.value("base_percent"), band.value("step_percent")
    start, top = band.value("from_years"), band.value("max_percent")
    rate = min(base + step * (years - start), top)
    trail.step(f"rate = {pct(base)} at {start} years + {pct(step)} x ({years} - {start}) years, "
               f"at most {pct(top)} = {pct(rate)}")
    rate -= _early_cut(months_early, on, trail)
    if average_salary is None:
        trail.step("no average salary given: amounts not computed")
        return PensionResult(rate, None, None, trail.done())
    check_money(average_salary, "average_salary")
    monthly = round_vnd(average_salary * rate / 100)
    trail.step(f"monthly pension = {pct(rate)} x {vnd(average_salary)} = {vnd(monthly)}")
    monthly = _at_least_lowest(monthly, compulsory, on, trail)
    before_age = None if months_past_retirement_age == 0 else benefit_years(
        contribution_months - months_past_retirement_age, on, trail)
    full_rate = trail.use(law.pension_full_rate_band(checked_sex, on))
    extra = _extra_lump_sum(full_rate, years, before_age, average_salary, on, trail)
    return PensionResult(rate, monthly, extra, trail.done())


def check_priced(on: Period) -> None:
    """Refuse a pension starting before the first month the pension rules are loaded for,
    naming it and its law, rather than pricing it by a later law."""
    table = book().table("pension_rates")
    first = table.first_month()
    if first is None or on >= first:
        return
    earliest = min(table.rows, key=lambda r: r.valid_from)
    raise NoRuleInForce(table="pension_rates", key="pension", on=on, first=first, reason=(
        f"no pension rules are loaded for a pension starting in {on}: a pension is priced by "
        f"the law in force when it starts (Law 41/2024 Art 5(7)) and the earliest rules known "
        f"are those from {first} ({earliest.source})"))


def _at_least_lowest(monthly: int, compulsory_months: int, on: Period, trail: Trail) -> int:
    """The lowest monthly pension (Law 58/2014 Art 56(6): the base salary; Law 41/2024 Art
    141(11): the reference level, for 20 years or more of compulsory SI): ``min_pension_*``."""
    law = book()
    years = int(trail.fact(law.parameter("min_pension_years", on)))
    if compulsory_months < years * 12:
        return monthly
    multiplier = trail.fact(law.parameter("min_pension_reference_multiplier", on))
    reference = trail.fact(law.reference_level(on))
    lowest = int(multiplier * reference)
    if monthly >= lowest:
        return monthly
    trail.step(f"lowest pension for {years} years of compulsory SI or more = {multiplier} x "
               f"reference level {vnd(reference)} = {vnd(lowest)}: the monthly pension is "
               "raised to it")
    return lowest


def _extra_lump_sum(band: LawRow, years: Decimal, by_age: Decimal | None, average_salary: int,
                    on: Period, trail: Trail) -> int:
    """Law 41/2024 Art 68(2): per year of ``years`` above the maximum rate's, 0.5 average
    salaries up to the retirement age (``by_age`` of them paid by it, None: all), 2 for those
    paid after it by someone eligible who kept contributing (the last years paid)."""
    law = book()
    full_years, extra_years = _above_full_rate(band, years)
    before_age = extra_years if by_age is None else _above_full_rate(band, by_age)[1]
    late_years = extra_years - before_age
    per_year = trail.fact(law.parameter("extra_lump_sum_per_year", on))
    extra = round_vnd(average_salary * per_year * before_age)
    trail.step(f"extra lump sum = {per_year} x {vnd(average_salary)} x {before_age} years above "
               f"{full_years} = {vnd(extra)}")
    if late_years:
        late_rate = trail.fact(law.parameter("extra_lump_sum_per_year_past_retirement_age", on))
        late = round_vnd(average_salary * late_rate * late_years)
        trail.step(f"+ {late_rate} x {vnd(average_salary)} x {late_years} years above "
                   f"{full_years} paid past the retirement age = {vnd(late)}")
        extra += late
    return extra


def years_above_full_rate(*, sex: str, contribution_months: int, on: Period
                          ) -> tuple[Decimal, Decimal]:
    """The years of SI beyond those that give the maximum rate, for which the extra lump sum
    is paid (Law 41/2024 Art 68), and those years: ``(extra_years, full_years)``."""
    checked_sex = parse_choice(sex, SEXES, field="sex")
    check_months(contribution_months, "contribution_months")
    check_priced(on)
    trail = Trail({"sex": checked_sex, "contribution_months": str(contribution_months)})
    band = book().pension_full_rate_band(checked_sex, on)
    full_years, extra = _above_full_rate(band, benefit_years(contribution_months, on, trail))
    return extra, full_years


def months_past_retirement_age(*, paid: Iterable[Period], reached: Period, starts: Period,
                               on: Period, paid_out: int = 0) -> int:
    """The months of SI that earn the larger extra lump sum of Law 41/2024 Art 68(2) (FACTS
    §4.1): those paid after the month the statutory retirement age was ``reached`` (retired at
    its end) and before the pension ``starts``, by someone already eligible for a pension then:
    with the years of SI it needs (Art 64; the rules in force in ``on``) paid by the end of that
    month. Someone who had them only later earns nothing under Art 68(2). ``paid``: each month
    the record counts as paid (one paid by two employers counts once); ``paid_out``: months a
    one-time withdrawal paid out, the earliest, which count no more."""
    months = set(paid)
    needed = 12 * book().pension_min_years(on).value
    if sum(1 for m in months if m <= reached) - paid_out < needed:
        return 0
    return sum(1 for m in months if reached < m < starts)


def _above_full_rate(band: LawRow, years: Decimal) -> tuple[Decimal, Decimal]:
    """The years that reach the band's maximum rate, and how many of ``years`` lie beyond."""
    base, step = band.value("base_percent"), band.value("step_percent")
    full_years = band.value("from_years") + (band.value("max_percent") - base) / step
    return full_years, max(years - full_years, Decimal(0))


def _early_cut(months_early: int, on: Period, trail: Trail) -> Decimal:
    if months_early == 0:
        return Decimal(0)
    law = book()
    per_year = trail.fact(law.parameter("early_cut_percent_per_year", on))
    half = trail.fact(law.parameter("early_cut_percent_half_year", on))
    from_odd = int(trail.fact(law.parameter("early_cut_from_odd_months", on)))
    years, odd = divmod(months_early, 12)
    cut = per_year * years + (half if odd >= from_odd else 0)
    trail.step(f"early by {months_early} months: -{pct(per_year)} x {years} years"
               f" - {pct(half) if odd >= from_odd else '0%'} for {odd} odd months = -{pct(cut)}")
    return cut


@dataclass(frozen=True)
class EarlyRetirement:
    """How early a pension may start for a reduced working capacity (Law 41/2024 Art 65(1)):
    ``months`` before the statutory age at most (0: not early at all), ``case`` the point of
    Art 65(1) that allows it, or why none does, and ``min_years`` of SI it needs, as the law
    row ``min_years_source`` says (Law 58/2014 Art 55 or Law 41/2024 Art 65)."""

    months: int
    case: str
    min_years: int
    min_years_source: str


def early_retirement(*, capacity_loss_percent: int, hazardous_years: int = 0,
                     on: Period) -> EarlyRetirement:
    """The early retirement a loss of working capacity allows for a pension starting in ``on``
    (FACTS §4.1), by the rules in force then (each reason cites its row): with 20 years of SI,
    up to 5 years early at a 61% to under 81% loss (Law 58/2014 to 2020: 9 years in 2016, one
    less a year), up to 10 at 81% or more, and with 15 years in especially heavy or hazardous
    jobs a 61% loss allows it too (no shorter bound is given for that case: the rules engine's
    ``max_early_months``)."""
    law = book()
    least = law.parameter("early_loss_percent", on)
    severe = law.parameter("early_loss_severe_percent", on)
    job_years = law.parameter("early_hazardous_job_years", on)
    most = law.parameter("max_early_months", on)
    needs = law.parameter("early_min_years", on)
    min_years, source = int(needs.value), needs.row.source
    if capacity_loss_percent < least.value:
        return EarlyRetirement(0, f"a loss of {capacity_loss_percent}% is under the "
                                  f"{least.value}% that allows an early pension "
                                  f"({least.row.source})", min_years, source)
    if capacity_loss_percent >= severe.value:
        return EarlyRetirement(int(most.value), f"a loss of {severe.value}% or more allows up "
                                                f"to {most.value} months early "
                                                f"({severe.row.source})", min_years, source)
    if hazardous_years >= job_years.value:
        return EarlyRetirement(int(most.value), f"{job_years.value} years or more in especially "
                                                f"heavy or hazardous jobs with a loss of "
                                                f"{least.value}% or more allow up to "
                                                f"{most.value} months early "
                                                f"({job_years.row.source})", min_years,
                           source)
    moderate = law.parameter("max_early_months_moderate", on)
    return EarlyRetirement(int(moderate.value), f"a loss of {least.value}% to under "
                                                f"{severe.value}% allows up to {moderate.value} "
                                                f"months early ({moderate.row.source})",
                           min_years, source)
