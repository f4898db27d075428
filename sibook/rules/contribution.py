"""Monthly contributions (mức đóng) to the SI, HI and UI funds, split by payer and fund.

Rounding: each payer's amount (employer, employee) is its exact share of the capped bases,
rounded half up once; its per-fund lines are apportioned by largest remainder so they add up to
it (see :mod:`sibook.rules.rounding`). State support is rounded once. ``total`` is the sum of the
payers, so employer + employee + state support == total always holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Literal

from sibook.core.errors import ValidationError
from sibook.core.money import percent_of, round_vnd
from sibook.core.period import Period
from sibook.law import FUNDS, Cap, Fund, FundRates, Kind, NoRuleInForce, OaRate, book, parse_choice
from sibook.law.terms import OA_RATES, REGIONS, SUPPORT_GROUPS
from sibook.rules.explain import Explanation, Trail, pct, vnd
from sibook.rules.inputs import check_money, check_months
from sibook.rules.rounding import apportion


@dataclass(frozen=True)
class Share:
    """What one payer owes each fund in a month, in VND."""

    retirement_survivorship: int = 0
    sickness_maternity: int = 0
    occupational: int = 0
    health: int = 0
    unemployment: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def of(self, fund: Fund) -> int:
        return int(getattr(self, fund))

    def as_dict(self) -> dict[str, int]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "total": self.total}


@dataclass(frozen=True)
class ContributionResult:
    """Dues of one participant for one month."""

    month: Period
    kind: Kind
    employer: Share
    employee: Share
    state_support: int
    explanation: Explanation

    @property
    def total(self) -> int:
        return self.employer.total + self.employee.total + self.state_support

    def by_fund(self) -> dict[Fund, tuple[int, int]]:
        """Per fund: (employer, employee) amounts; state support is in ``state_support``."""
        return {f: (self.employer.of(f), self.employee.of(f)) for f in FUNDS}

    def as_dict(self) -> dict[str, object]:
        return {"month": str(self.month), "employer": self.employer.as_dict(),
                "employee": self.employee.as_dict(), "state_support": self.state_support,
                "total": self.total, "sources": self.explanation.sources}


Worker = Literal["compulsory", "foreign"]


def compulsory_dues(*, month: Period, salary: int, region: str, oa_rate: str = "standard",
                    kind: Worker = "compulsory", check_minimum: bool = True
                    ) -> ContributionResult:
    """Dues of an employee on a labour contract (``kind="foreign"``: a foreign employee).

    ``check_minimum=False`` computes the dues of a basis already on record (the book shows what
    was declared, even where it fell below a later-corrected minimum).
    """
    checked_region = parse_choice(region, REGIONS, field="region")
    checked_oa: OaRate = parse_choice(oa_rate, OA_RATES, field="oa_rate")
    check_money(salary, "salary")
    law = book()
    trail = Trail({"month": str(month), "salary": vnd(salary), "region": checked_region,
                   "oa_rate": checked_oa, "kind": kind})
    # The kind's own rates first: a month before they begin is refused naming their first month
    # (a foreign employee's 2022-01), not the first month of the floor all kinds share (1995-01).
    rates = law.fund_rates(kind, month, checked_oa)
    floor = law.salary_floor(checked_region, month)
    minimum = trail.fact(floor)
    if check_minimum and salary < minimum:
        wage = "regional minimum" if floor.row.table == "regional_minimum" else "minimum common"
        raise ValidationError(field="salary", reason=(
            f"below the {wage} wage {vnd(minimum)} for region {checked_region} in "
            f"{month}; valid: {vnd(minimum)} or more"))
    si_cap, ui_cap = law.si_hi_cap(month), law.ui_cap(checked_region, month)
    for row in (*si_cap.rows, *ui_cap.rows):
        trail.use(row)
    si_basis, ui_basis = si_cap.of(salary), ui_cap.of(salary)
    trail.step(f"SI/HI basis = {_capped(salary, si_cap)} = {vnd(si_basis)}")
    trail.step(f"UI basis = {_capped(salary, ui_cap)} = {vnd(ui_basis)}")
    bases = {f: (ui_basis if f == "unemployment" else si_basis) for f in FUNDS}
    employer, employee = _split(rates, bases, trail)
    return ContributionResult(month=month, kind=kind, employer=employer, employee=employee,
                              state_support=0, explanation=trail.done())



def _capped(salary: int, cap: Cap) -> str:
    if cap.amount is None or cap.multiplier is None:
        return f"salary {vnd(salary)} (no cap in force: {cap.rows[0].source})"
    return (f"min(salary {vnd(salary)}, cap {vnd(cap.amount)} = {cap.multiplier.normalize():f}"
            f" x {cap.base_name} {vnd(cap.base)})")


def si_hi_cap(month: Period, trail: Trail) -> tuple[int, int]:
    """The reference level and the most any SI/HI basis can be in ``month`` (20 x the
    reference level today): contributions stop there, so benefits computed on the basis do.
    Refuses a month with no cap (before 2007): the callers' rules did not exist then."""
    cap = book().si_hi_cap(month)
    for row in cap.rows:
        trail.use(row)
    if cap.amount is None:
        raise NoRuleInForce(table="parameters", key="si_hi_cap_multiplier", on=month,
                            first=None)
    return cap.base, cap.amount

def voluntary_dues(*, month: Period, salary: int, support: str | None = None,
                   months_supported: int = 0) -> ContributionResult:
    """Voluntary SI on the declared monthly income, with the state's support for ``support``;
    None: none (the law's months of it used, or a period recorded with no group when naming
    none still meant no support; a question naming none asks for ``other``)."""
    check_money(salary, "salary")
    check_months(months_supported, "months_supported")
    law = book()
    trail = Trail({"month": str(month), "salary": vnd(salary), "support": support or "none",
                   "months_supported": str(months_supported)})
    rates = law.fund_rates("voluntary", month)
    lowest = law.voluntary_floor(month)
    floor = trail.fact(lowest)
    reference, cap = si_hi_cap(month, trail)
    floor_name = ("the rural poverty line" if lowest.row.key == "rural_poverty_line" else
                  f"{lowest.row.value('value').normalize():f} x reference level {vnd(reference)}")
    trail.step(f"lowest income = {floor_name} = {vnd(floor)} [{lowest.row.source}]")
    if not floor <= salary <= cap:
        raise ValidationError(field="salary", reason=(
            f"voluntary SI income must be between {floor_name} {vnd(floor)} and "
            f"{vnd(cap)} (20 x reference level {vnd(reference)}) in {month}, got {vnd(salary)}"))
    _, own = _split(rates, dict.fromkeys(FUNDS, salary), trail)
    aid = _state_support(month, floor, rates, support, months_supported, trail)
    trail.step(f"participant pays {vnd(own.total)} - state support {vnd(aid)} "
               f"= {vnd(own.total - aid)}")
    payable = Share(**{**_lines(own), "retirement_survivorship": own.retirement_survivorship - aid})
    return ContributionResult(month=month, kind="voluntary", employer=Share(), employee=payable,
                              state_support=aid, explanation=trail.done())


def self_chosen_dues(*, month: Period, salary: int) -> ContributionResult:
    """Participants who choose their own salary basis (e.g. household-business owners)."""
    check_money(salary, "salary")
    law = book()
    trail = Trail({"month": str(month), "salary": vnd(salary)})
    reference, cap = si_hi_cap(month, trail)
    floor = int(trail.fact(law.parameter("self_chosen_floor_multiplier", month)) * reference)
    if not floor <= salary <= cap:
        raise ValidationError(field="salary", reason=(
            f"a self-chosen basis must be between {vnd(floor)} and {vnd(cap)} in {month}, "
            f"got {vnd(salary)}"))
    _, own = _split(law.fund_rates("self_chosen", month), dict.fromkeys(FUNDS, salary), trail)
    return ContributionResult(month=month, kind="self_chosen", employer=Share(), employee=own,
                              state_support=0, explanation=trail.done())


@dataclass(frozen=True)
class HouseholdHiResult:
    """HI dues of the ``member``-th member of a household (BHYT hộ gia đình) for one month."""

    month: Period
    member: int
    amount: int
    explanation: Explanation


def household_hi_dues(*, month: Period, member: int) -> HouseholdHiResult:
    law = book()
    trail = Trail({"month": str(month), "member": str(member)})
    share = trail.fact(law.household_hi_share(member, month))
    rate = trail.fact(law.parameter("household_hi_rate", month))
    reference = trail.fact(law.reference_level(month))
    amount = round_vnd(percent_of(reference, rate) * share / 100)
    trail.step(f"member {member}: {pct(share)} of ({pct(rate)} x reference level "
               f"{vnd(reference)}) = {vnd(amount)} (rounded once)")
    return HouseholdHiResult(month=month, member=member, amount=amount,
                             explanation=trail.done())


def _split(rates: FundRates, bases: dict[Fund, int], trail: Trail) -> tuple[Share, Share]:
    exact_employer: dict[Fund, Decimal] = {}
    exact_employee: dict[Fund, Decimal] = {}
    for rate in rates.rates:
        trail.use(rate.row)
        basis = bases[rate.fund]
        exact_employer[rate.fund] = percent_of(basis, rate.employer)
        exact_employee[rate.fund] = percent_of(basis, rate.employee)
        trail.step(f"{rate.fund}: employer {pct(rate.employer)} x {vnd(basis)} = "
                   f"{vnd(exact_employer[rate.fund])}; employee {pct(rate.employee)} x "
                   f"{vnd(basis)} = {vnd(exact_employee[rate.fund])} [{rate.row.source}]")
    employer, employee = Share(**apportion(exact_employer)), Share(**apportion(exact_employee))
    trail.step(f"employer total {vnd(employer.total)}, employee total {vnd(employee.total)} "
               "(each rounded once; fund lines apportioned by largest remainder)")
    return employer, employee


def _state_support(month: Period, poverty_line: int, rates: FundRates, group: str | None,
                   months_supported: int, trail: Trail) -> int:
    if group is None:
        trail.step("no support group: no state support")
        return 0
    checked = parse_choice(group, SUPPORT_GROUPS, field="support")
    law = book()
    began = law.table("voluntary_support").first_month(checked)
    if began is not None and month < began:
        trail.step(f"no state support before {began} "
                   f"({law.voluntary_support(checked, began).row.source}): none in {month}")
        return 0
    limit = int(trail.fact(law.parameter("voluntary_support_months", month)))
    if months_supported >= limit:
        trail.step(f"support already received for {months_supported} months (limit {limit}): "
                   "no further state support")
        return 0
    percent = trail.fact(law.voluntary_support(checked, month))
    retirement = rates.of("retirement_survivorship")
    if retirement is None:
        raise ValidationError(field="support", reason=f"no voluntary retirement rate in {month}")
    aid = round_vnd(percent_of(poverty_line, retirement.employee) * percent / 100)
    trail.step(f"state support ({checked}) = {pct(percent)} x {pct(retirement.employee)} x rural "
               f"poverty line {vnd(poverty_line)} = {vnd(aid)}")
    return aid


def _lines(share: Share) -> dict[str, int]:
    return {f: share.of(f) for f in FUNDS}


def compulsory_shares(month: Period, basis: int, region: str, oa_rate: str = "standard",
                      kind: Worker = "compulsory") -> tuple[dict[str, int], dict[str, int]]:
    """The employer's and the employee's lines of ``compulsory_dues(..., check_minimum=False)``
    (``Share.as_dict()`` each), without the explanation trail: the same law rows, caps and
    rounding, for callers that need the amounts of many months and salaries (the book).

    The arithmetic is exact in integers: every rate is a fraction of a percent, so each fund's
    exact amount is a whole number of 1/D dong, D the rates' common denominator; rounding half
    up and the largest-remainder split then compare integers (the Decimal path costs ~40 us a
    call and a book needs tens of calls; tests/unit/test_rules_shares.py checks both agree)."""
    check_money(basis, "salary")
    si_cap, ui_cap, denominator, rates = compulsory_terms(month, region, oa_rate, kind)
    return shares_under(denominator, rates, capped(basis, si_cap), capped(basis, ui_cap))


def capped(basis: int, cap: int | None) -> int:
    """``basis`` limited to ``cap``; None is a month with no cap in force."""
    return basis if cap is None else min(basis, cap)


def compulsory_terms(month: Period, region: str, oa_rate: str = "standard",
                     kind: Worker = "compulsory") -> Terms:
    """What :func:`compulsory_shares` reads from the law for a month: SI/HI cap, UI cap, and
    the rates (see ``Terms``). Callers with many salaries of one month key their own caches
    by the rates and the capped bases, on which alone the amounts depend."""
    checked_region = parse_choice(region, REGIONS, field="region")
    checked_oa: OaRate = parse_choice(oa_rate, OA_RATES, field="oa_rate")
    return _compulsory_terms(month, checked_region, checked_oa, kind)


def shares_under(denominator: int, rates: tuple[tuple[Fund, int, int], ...], si_basis: int,
                 ui_basis: int) -> tuple[dict[str, int], dict[str, int]]:
    """The employer's and employee's lines for bases already capped, rates as in ``Terms``."""
    employer: list[tuple[Fund, int]] = []
    employee: list[tuple[Fund, int]] = []
    for fund, employer_rate, employee_rate in rates:
        fund_basis = ui_basis if fund == "unemployment" else si_basis
        employer.append((fund, fund_basis * employer_rate))
        employee.append((fund, fund_basis * employee_rate))
    return _apportioned(employer, denominator), _apportioned(employee, denominator)


def _apportioned(exact: list[tuple[Fund, int]], denominator: int) -> dict[str, int]:
    """``Share(**apportion(...)).as_dict()`` for amounts in 1/``denominator`` dong: the total
    rounded half up once, lines floored, the dong left over to the largest remainders (ties in
    fund order), as :func:`sibook.rules.rounding.apportion` does with Decimals."""
    numerator = sum(n for _, n in exact)
    total = (2 * numerator + denominator) // (2 * denominator)  # half up; amounts are >= 0
    out: dict[str, int] = dict.fromkeys(FUNDS, 0)
    left = total
    for fund, n in exact:
        out[fund] = n // denominator
        left -= out[fund]
    if left:
        order = sorted(range(len(exact)), key=lambda i: -(exact[i][1] % denominator))
        for i in order[:left]:
            out[exact[i][0]] += 1
    out["total"] = total
    return out


# SI/HI cap, UI cap (None: no cap in force), the rates' common denominator D and, per fund,
# the employer's and the employee's rate as numerators over D (dong per dong of basis).
Terms = tuple[int | None, int | None, int, tuple[tuple[Fund, int, int], ...]]
_TERMS: dict[tuple[object, Period, str, str, str], Terms] = {}


def _compulsory_terms(month: Period, region: str, oa_rate: OaRate, kind: Worker) -> Terms:
    """The terms in force, looked up once per month, region, rate and kind; keyed by the law
    book too, so a reloaded law is never answered from an older one."""
    law = book()
    key = (law, month, region, oa_rate, kind)
    if key not in _TERMS:
        si_cap, ui_cap = law.si_hi_cap(month).amount, law.ui_cap(region, month).amount
        rates = law.fund_rates(kind, month, oa_rate).rates
        ratios = [(r.fund, (r.employer / 100).as_integer_ratio(),
                   (r.employee / 100).as_integer_ratio()) for r in rates]
        denominator = math.lcm(*(d for _, er, ee in ratios for _, d in (er, ee)))
        _TERMS[key] = si_cap, ui_cap, denominator, tuple(
            (fund, er[0] * denominator // er[1], ee[0] * denominator // ee[1])
            for fund, er, ee in ratios)
    return _TERMS[key]

