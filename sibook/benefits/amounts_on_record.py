"""A settled benefit's amounts checked against what the record and the law give (FACTS §4), as
a pension's are (``settlement``): another sum is refused, naming the field, the expected sum,
what on the record it rests on and the ``sibook rules`` command that computes it. Each check is
skipped (the officer's sum taken as typed) where the record lacks what it needs or no law
table prices the month.

- one-time withdrawal: ``amount`` (the months before and from 2014 and the revalued average
  salary the book counts at the decision, as the book's estimate computes it, FACTS §4.2);
- unemployment: ``monthly_amount`` and ``months`` (the average UI salary of the last 6 months
  paid up to the termination, the UI months counted and the region of the last employer that
  paid UI, FACTS §4.6; ``unemployment_on_record``, called where those months are counted);
- sickness: ``amount`` for the decision's ``days`` (the SI salary of the last month of
  compulsory SI before the leave's, the years of SI counted, FACTS §4.3); the record does not
  say whether the job is heavy, so days beyond the normal yearly maximum are priced by the
  heavy jobs' maximum, and the days of earlier leaves in the year are not counted against it;
- survivorship (FACTS §4.5): a monthly allowance only when the record does not rule out every
  condition for one, and then a sum of 50% of the reference level per relative (70% for one
  without a direct carer), at most 4; beside it, ``amount`` is the funeral allowance, 10
  reference levels of the month of death. The one-time survivor allowance's amounts are [U]
  in FACTS (not re-confirmed for Law 41/2024), so a survivorship ``amount`` without a monthly
  allowance is taken as typed.

Maternity is taken as typed: its ``amount`` is one sum of the leave benefit (the average salary
of the 6 months before the leave) and the childbirth allowance per child, and the claim says
neither how many children were born nor how the sum splits. So are occupational benefits
(the capacity lost is the medical board's, not on the record).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from sibook.benefits.domain import SETTLED, Claim, Decision, Regime
from sibook.benefits.record_checks import COVERED_KINDS, pensioner
from sibook.benefits.records import benefits_of
from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.core.errors import Problem, ValidationError
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.law import NoRuleInForce
from sibook.law import book as law_book
from sibook.registry.store import Employer
from sibook.rules.explain import Explanation, pct
from sibook.rules.sickness import SicknessResult, sickness_benefit
from sibook.rules.survivorship import funeral_allowance, monthly_survivor_allowance
from sibook.rules.unemployment import benefit_cap, unemployment_benefit

UI_AVERAGE_MONTHS = 6  # FACTS §4.6: the average UI salary of the last 6 months paid
SURVIVOR_MIN_YEARS = 15  # FACTS §4.5: years of compulsory SI giving a monthly allowance


def amounts_on_record(session: Session, person_id: int, c: Claim, d: Decision
                      ) -> list[Problem]:
    """Every settled amount of a one-time withdrawal, a sickness benefit or a survivorship
    benefit the law's formulas give otherwise on the record at the decision."""
    if d.outcome != SETTLED:
        return []
    if c.regime is Regime.LUMP_SUM:
        return _withdrawal(session, person_id, d)
    if c.regime is Regime.SICKNESS:
        return _sick_pay(session, person_id, c, d)
    if c.regime is Regime.SURVIVORSHIP:
        return _survivorship(session, person_id, c, d)
    return []


def _not_the(field: str, typed: int | None, what: str, expected: int, why: str,
             how: Explanation, command: str | None) -> Problem:
    """The refusal of a typed sum: the expected one, what it rests on, the law and command."""
    steps = "; ".join(how.steps)
    computes = "" if command is None else f"; {command} computes it"
    return Problem(field=field, reason=(
        f"{typed or 0:,} VND is not the {what} the record gives, {expected:,} VND: {why}; "
        f"{steps} ({', '.join(how.sources)}{computes})"))


def _withdrawal(session: Session, person_id: int, d: Decision) -> list[Problem]:
    due = book.withdrawal_on_record(session=session, person_id=person_id, as_of=d.decided_on)
    if due is None or d.amount == due.amount:
        return []
    given = due.explanation.inputs
    before, since = given["months_before_2014"], given["months_from_2014"]
    average = given["average_salary"]
    command = (f"`sibook rules lump-sum --months-before-2014 {before} --months-from-2014 "
               f"{since} --average-salary {average.replace(',', '')} --month {given['month']}`")
    return [_not_the("amount", d.amount, "one-time withdrawal", due.amount, (
        f"{before} months of SI before 2014 and {since} from 2014 count on "
        f"{d.decided_on.isoformat()}, and the book's salary history averages {average} VND "
        "revalued"), due.explanation, command)]


def last_ui_employer(session: Session, ui: list[contributions.UIRow], ended: Period
                     ) -> Employer | None:
    """The last employer that paid UI for the person up to ``ended`` (its region as recorded
    now, as the book's amounts use it); None when none did."""
    last = max((u for u in ui if u.from_month <= ended), key=lambda u: u.from_month,
               default=None)
    return None if last is None else session.get(Employer, last.employer_id)


def above_ui_cap(employer: Employer | None, ended: Period, monthly: int | None
                 ) -> list[Problem]:
    """A monthly unemployment benefit is at most 5 x the regional minimum wage in force at
    termination (FACTS §4.6), in the region of the last employer that paid UI for the person.
    Unchecked for a month no law table prices."""
    if monthly is None or employer is None:
        return []
    try:
        cap, minimum = benefit_cap(employer.region, ended)
    except NoRuleInForce:
        return []
    if monthly <= cap:
        return []
    return [Problem(field="monthly_amount", reason=(
        f"{monthly:,} VND a month is above the cap of {cap:,}: {cap // minimum} x the region "
        f"{employer.region} minimum wage in force at termination ({ended}; employer "
        f"{employer.code}); `sibook rules unemployment` computes the benefit"))]


def unemployment_on_record(employer: Employer | None, ui: list[contributions.UIRow],
                           terminated: date, counted: int, d: Decision) -> list[Problem]:
    """An unemployment benefit's ``monthly_amount`` and ``months`` are those the law gives
    (FACTS §4.6): 60% of the average UI salary of the last 6 months paid up to the termination
    (fewer when fewer were paid), capped in the region of the last employer that paid UI, for
    the months the ``counted`` UI months give. Unchecked without that employer or a rule."""
    salaries = _last_ui_salaries(ui, Period.of(terminated))
    if employer is None or not salaries or d.monthly_amount is None:
        return []
    average = round_vnd(Decimal(sum(salaries)) / len(salaries))
    try:
        due = unemployment_benefit(average_salary=average, contribution_months=counted,
                                   region=employer.region, termination=terminated)
    except (NoRuleInForce, ValidationError):
        return []
    command = (f"`sibook rules unemployment --average-salary {average} --contribution-months "
               f"{counted} --region {employer.region} --termination {terminated.isoformat()}`")
    why = (f"the last {len(salaries)} months of UI paid up to {terminated.isoformat()} average "
           f"{average:,} VND, {counted} months of UI count and employer {employer.code} is in "
           f"region {employer.region}")
    out = []
    if d.monthly_amount != due.monthly_benefit:
        out.append(_not_the("monthly_amount", d.monthly_amount, "monthly unemployment benefit",
                            due.monthly_benefit, why, due.explanation, command))
    if d.months != due.duration_months:
        out.append(Problem(field="months", reason=(
            f"{d.months} months is not the duration the record gives, {due.duration_months} "
            f"months: {why}; {due.explanation.steps[-1]} ({', '.join(due.explanation.sources)};"
            f" {command} computes it)")))
    return out


def _last_ui_salaries(ui: list[contributions.UIRow], ended: Period) -> list[int]:
    """The UI salaries of the last ``UI_AVERAGE_MONTHS`` months paid up to ``ended`` (a month
    two rows pay, at the row that began later)."""
    months: dict[Period, int] = {}
    for u in sorted(ui, key=lambda u: u.from_month):
        last = ended if u.to_month is None else min(u.to_month, ended)
        for index in range(u.from_month.index, last.index + 1):
            months[Period.from_index(index)] = u.salary_basis
    return [months[m] for m in sorted(months)[-UI_AVERAGE_MONTHS:]]


def _sick_pay(session: Session, person_id: int, c: Claim, d: Decision) -> list[Problem]:
    if c.event_from is None or d.days is None:
        return []
    leave = Period.of(c.event_from)
    paid = _salary_before(contributions.si_periods_of(session=session, person_id=person_id),
                          leave)
    if paid is None:
        return []
    month, salary = paid
    counted, _ = book.si_months_counted(session=session, person_id=person_id,
                                        as_of=d.decided_on)
    years = counted // 12
    try:
        due = _sickness(salary, d.days, years, leave)
    except (NoRuleInForce, ValidationError):
        return []
    if d.amount == due.amount:
        return []
    heavy = due.explanation.inputs["heavy"] == "True"
    command = (f"`sibook rules sickness --salary {salary} --days {d.days} --years-contributed "
               f"{years}{' --heavy' if heavy else ''} --month {leave}`")
    return [_not_the("amount", d.amount, "sickness benefit", due.amount, (
        f"the SI salary of {month}, the last month of compulsory SI before the leave's, is "
        f"{salary:,} VND and {counted} months of SI count on {d.decided_on.isoformat()}"
        + (" (days beyond the normal yearly maximum priced as a heavy job's)" if heavy
           else "")), due.explanation, command)]


def _sickness(salary: int, days: int, years: int, leave: Period) -> SicknessResult:
    """The benefit for ``days``: by the normal yearly maximum, or the heavy jobs' when the days
    are more (the record does not say whether the job is heavy)."""
    normal = sickness_benefit(salary=salary, days=Decimal(days), years_contributed=years,
                              on=leave)
    if days <= normal.max_days_per_year:
        return normal
    return sickness_benefit(salary=salary, days=Decimal(days), years_contributed=years,
                            on=leave, heavy=True)


def _salary_before(si: list[contributions.ParticipationRow], leave: Period
                   ) -> tuple[Period, int] | None:
    """The month of compulsory SI nearest before ``leave`` and its SI salary (salary basis and
    allowances; Law 41/2024 Art 45(1)), or the leave's own month for someone who began in it;
    None when the record has neither."""
    found: tuple[Period, int] | None = None
    for p in si:
        if p.kind not in COVERED_KINDS or p.from_month > leave:
            continue
        last = leave - 1 if p.to_month is None else min(p.to_month, leave - 1)
        month = last if last >= p.from_month else leave
        if found is None or (month < leave and (found[0] == leave or month > found[0])):
            found = (month, p.salary_basis + p.allowances)
    return found


def _survivorship(session: Session, person_id: int, c: Claim, d: Decision) -> list[Problem]:
    if c.event_from is None or d.monthly_amount is None or d.from_month is None:
        return []  # the one-time survivor allowance's amounts are [U] (FACTS §4.5)
    if problems := _monthly_allowed(session, person_id, d):
        return problems
    return _survivor_month(d.monthly_amount, d.from_month) + _funeral(
        d.amount, Period.of(c.event_from))


def _monthly_allowed(session: Session, person_id: int, d: Decision) -> list[Problem]:
    """A monthly survivor allowance is paid only when the deceased had 15 years of compulsory
    SI, was receiving a pension, died of a work accident or an occupational disease, or
    received a monthly allowance for one with 61% or more of capacity lost (FACTS §4.5). The
    record says nothing of the cause of death or of the capacity lost: any occupational claim
    not refused leaves the allowance possible."""
    _, compulsory = book.si_months_counted(session=session, person_id=person_id,
                                           as_of=d.decided_on)
    if compulsory >= 12 * SURVIVOR_MIN_YEARS or pensioner(session, person_id):
        return []
    if any(b.claim.regime is Regime.OCCUPATIONAL and b.status != "refused"
           for b in benefits_of(session=session, person_id=person_id)):
        return []
    return [Problem(field="monthly_amount", reason=(
        f"{compulsory} months of compulsory SI count on {d.decided_on.isoformat()} (under "
        f"{SURVIVOR_MIN_YEARS} years), no pension and no work accident or occupational disease "
        "is on the record: none of the conditions for a monthly survivor allowance is met "
        "(FACTS §4.5, Law 41/2024 Art 86), so the survivors are paid the one-time allowance "
        "(amount) instead"))]


def _survivor_month(monthly: int, month: Period) -> list[Problem]:
    """The monthly allowance of ``month`` is 50% of the reference level per relative, 70% for
    one without a direct carer, for 1 to 4 relatives (Law 41/2024 Art 87)."""
    law = law_book()
    try:
        most = law.parameter("survivor_max_relatives", month)
        sums = sorted({monthly_survivor_allowance(month=month, relatives=n,
                                                  without_carer=k).amount
                       for n in range(1, int(most.value) + 1) for k in range(n + 1)})
        reference = law.reference_level(month)
        cared = law.parameter("survivor_monthly_percent", month)
        alone = law.parameter("survivor_monthly_no_carer_percent", month)
    except NoRuleInForce:
        return []
    if monthly in sums:
        return []
    return [Problem(field="monthly_amount", reason=(
        f"{monthly:,} VND a month is no monthly survivor allowance the law gives from {month}: "
        f"{pct(cared.value)} of the reference level {reference.value:,} VND per relative, "
        f"{pct(alone.value)} for one without a direct carer, 1 to {int(most.value)} relatives "
        f"({cared.row.source}; {reference.row.source}): one of "
        f"{', '.join(f'{a:,}' for a in sums)} VND"))]


def _funeral(amount: int | None, died: Period) -> list[Problem]:
    """Beside a monthly allowance, what is paid once is the funeral allowance: 10 reference
    levels of the month of death (FACTS §4.5, Law 41/2024 Art 85(2))."""
    if amount is None:
        return []
    try:
        due = funeral_allowance(month=died)
    except NoRuleInForce:
        return []
    if amount == due.amount:
        return []
    return [_not_the("amount", amount, "funeral allowance", due.amount, (
        f"beside a monthly survivor allowance only the funeral allowance is paid once, by the "
        f"reference level of the month of death, {died}"), due.explanation, None)]
