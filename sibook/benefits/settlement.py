"""Deciding a received claim, once: settled (with what is paid) or refused (saying why), never
by the officer who received it over HTTP. A claim meeting one settled already (the same event
or days, ``overlap``) is not settled too, nor one beginning (a leave ending) after the death a
survivorship claim names. A settled pension is checked against the record again
(its monthly amount and extra lump sum those the law gives on it, Law 41/2024 Arts 66, 68, on
the average salary the decision states or else the book's), a one-time withdrawal pays out the
SI months the book counts, an unemployment benefit uses the UI months and stays under its
cap; the other regimes' amounts are checked by ``amounts_on_record``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sibook import law
from sibook.benefits import occupational, record_turns
from sibook.benefits.amounts_on_record import (
    above_ui_cap,
    amounts_on_record,
    last_ui_employer,
    unemployment_on_record,
)
from sibook.benefits.domain import (
    SETTLED,
    Claim,
    Decision,
    Regime,
    check_decision,
    pension_first_month,
    ui_months_used,
)
from sibook.benefits.left_work import still_working
from sibook.benefits.maternity_checks import maternity_supported
from sibook.benefits.overlap import after_death, settled_once
from sibook.benefits.reading import answer
from sibook.benefits.record_checks import (
    pension_due,
    pensioner,
    retirement_of,
    sex_of,
    still_contributing,
    still_employed,
    ui_qualifying,
)
from sibook.benefits.recorded_once import check_same, lock_person
from sibook.benefits.records import claim_of, decision_of
from sibook.benefits.stopped_paying import end_with, paid_from
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.core.errors import NotFoundError, Problem, SibookError, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.rules.pension import PensionResult, years_above_full_rate
from sibook.rules.unemployment import benefit_months


class SameOfficer(SibookError):
    """The officer who received a claim may not decide it (four eyes on every payment)."""


def decide(*, session: Session, person_id: int, personal_id: str, dossier_no: str,
           decision: Decision, actor: str, today: date | None = None,
           four_eyes: bool = False) -> dict[str, Any]:
    """Settle or refuse a received claim, once; with ``four_eyes`` (officers over HTTP) not by
    the officer who received it. An operator's command holds the database anyway."""
    if decision.outcome == SETTLED:  # a pension or a withdrawal averages by the units' regimes
        registry.hold_units_of(session=session, person_id=person_id)
        # Settled on the record as it stands: not while a filing, of any unit, changes it.
        record_turns.settling(session, person_id)
    lock_person(session, person_id)
    row = session.scalars(select(BenefitClaim).where(
        BenefitClaim.person_id == person_id,
        BenefitClaim.dossier_key == dossier_no.upper())).one_or_none()
    if row is None:
        raise NotFoundError(f"no claim with dossier {dossier_no} for {personal_id}")
    claim = claim_of(row)
    if four_eyes and row.recorded_by == actor[:64]:
        raise SameOfficer(f"{actor} received dossier {row.dossier_no}: another officer "
                          "decides it")
    earlier = session.get(BenefitDecision, (person_id, row.claim_no))
    if earlier is not None:
        was = decision_of(earlier)
        # Named by its dossier, the key the caller gave: "decision 12 was recorded with
        # decision_no 12, not 21" named the number twice and the dossier not at all.
        check_same("the decision on dossier", row.dossier_no, was, decision,
                   skip=("months_settled",))
        return answer(session, personal_id, row, replayed=True)
    day = today or date.today()
    problems = check_decision(claim, decision, day)
    if problems:
        raise ValidationError(problems)
    if problems := (settled_once(session, person_id, claim, decision)
                    or _alive(session, person_id, claim, decision)
                    or _covered_on_record(session, person_id, claim, decision)
                    or _pension_on_record(session, person_id, claim, decision)
                    or _maternity_on_record(session, person_id, claim, decision)):
        raise ValidationError(problems)
    settled = _months_settled(session, person_id, claim, decision)
    if problems := amounts_on_record(session, person_id, claim, decision):
        raise ValidationError(problems)
    session.execute(insert(BenefitDecision).values(
        person_id=person_id, claim_no=row.claim_no, outcome=decision.outcome,
        decided_on=decision.decided_on, decision_no=decision.decision_no,
        amount=decision.amount, monthly_amount=decision.monthly_amount,
        from_month=None if decision.from_month is None else decision.from_month.index,
        months=decision.months, days=decision.days, reason=decision.reason,
        months_settled=settled, average_salary=decision.average_salary,
        recorded_by=actor[:64]))
    if (ends := _stops_contributing(claim, decision)) is not None:
        end_with(session, person_id, ends, day)
    return answer(session, personal_id, row, replayed=False)


def _alive(session: Session, person_id: int, c: Claim, d: Decision) -> list[Problem]:
    """A claim received before the person's death was recorded is settled only for what began
    before it (``after_death``): no sick pay for days after it, no pension starting after it,
    no monthly benefit from a month after it. A refusal stays open."""
    return after_death(session, person_id, c, d.from_month) if d.outcome == SETTLED else []


def _covered_on_record(session: Session, person_id: int, c: Claim, d: Decision
                       ) -> list[Problem]:
    """A sick leave or a work accident is settled while the record still has its month in
    compulsory SI (``occupational.at_the_event``, as when received): a decrease the employer
    filed since from an earlier month (GH: the worker left before it) leaves it unpaid, as the
    dues of those months were given back; a decrease for the sick leave itself (OF) does not."""
    if d.outcome != SETTLED or c.regime not in (Regime.SICKNESS, Regime.OCCUPATIONAL):
        return []
    return occupational.at_the_event(
        contributions.si_periods_of(session=session, person_id=person_id), c)


def _stops_contributing(c: Claim, d: Decision) -> Period | None:
    """The month a settled pension or one-time withdrawal ends an open voluntary period before:
    the pension's first month, the withdrawal's decision month (checked just before: no
    voluntary month from it on is paid)."""
    if d.outcome != SETTLED:
        return None
    if c.regime is Regime.PENSION:
        return pension_first_month(d.from_month, c.event_from)
    return Period.of(d.decided_on) if c.regime is Regime.LUMP_SUM else None


def _pension_on_record(session: Session, person_id: int, c: Claim, d: Decision
                       ) -> list[Problem]:
    """A pension is settled from the month after the retirement age is reached (or as early as
    the claim's loss of working capacity allows), with the years of SI the record can reach,
    for someone no SI period covers then (``left_work``: the employer's decrease filed), by
    the record as it stands at the decision (a claim received before these checks existed,
    or months paid out by a withdrawal since, are caught here); its monthly amount and extra
    lump sum are those the law's formulas give on that record, priced on the decision's own
    average salary when it states one. Unchecked when no rule prices the pension; the amounts
    unchecked when neither the decision nor the record gives an average salary."""
    if d.outcome != SETTLED or c.regime is not Regime.PENSION:
        return []
    facts = registry.person_facts(session=session, person_id=person_id)
    # Entitled by the claim's start day (pension_due); paid, priced and left work from the
    # decision's first month, never before the claim's (check_decision).
    starts = pension_first_month(d.from_month, c.event_from)
    if c.event_from is None or starts is None:
        return []
    if problems := (pension_due(session, person_id, facts, c, d.decided_on)
                    or still_working(session, person_id, starts, d.decided_on)):
        return problems
    try:
        counted, due = book.pension_on_record(session=session, person_id=person_id,
                                              as_of=d.decided_on, starts=starts,
                                              average_salary=d.average_salary)
    except ValidationError:  # NoRuleInForce too; too few years is refused before
        return []
    record = _Record(facts, counted, due, starts, d.average_salary is not None)
    return _monthly_pension(record, d) + _extra_lump_sum(record, starts, d)


def _maternity_on_record(session: Session, person_id: int, c: Claim, d: Decision
                         ) -> list[Problem]:
    """A maternity benefit is settled on the months the record shows paid at the decision, by
    the rule the claim was received by (``maternity_checks``): a claim received before it was
    checked, or before an employer's unpaid months were left out, is caught here."""
    if d.outcome != SETTLED or c.regime is not Regime.MATERNITY or c.event_from is None:
        return []
    facts = registry.person_facts(session=session, person_id=person_id)
    return maternity_supported(session, person_id, facts, c, d.decided_on)


@dataclass(frozen=True)
class _Record:
    """What the record gives a pension at its decision: the months counted, the pension the
    law's formulas give on them (the estimate's), the month whose rules price it, and whether
    the average salary priced is the decision's own (``stated``) or the book's."""

    facts: registry.PersonFacts
    counted: int
    due: PensionResult
    rules_on: Period
    stated: bool = False

    def average(self) -> str:
        """The average salary priced, said as the refusals say it."""
        average = self.due.explanation.inputs["average_salary"]
        return (f"the decision states an average salary of {average} VND" if self.stated else
                f"the book's salary history averages {average} VND revalued")

    def command(self) -> str:
        """The ``sibook rules pension`` command that computes ``due``."""
        inputs = self.due.explanation.inputs
        early = int(inputs["months_early"])
        voluntary = (f" --voluntary-months {inputs['voluntary_months']}"
                     if "voluntary_months" in inputs else "")
        return (f"`sibook rules pension --sex {sex_of(self.facts)} --contribution-months "
                f"{self.counted}{f' --months-early {early}' if early else ''} --average-salary "
                f"{inputs['average_salary'].replace(',', '')} --months-past-retirement-age "
                f"{inputs['months_past_retirement_age']}{voluntary} --month {self.rules_on}`")


def _monthly_pension(r: _Record, d: Decision) -> list[Problem]:
    """The monthly pension is the rate the record's months give by the law in force when the
    pension starts (Law 41/2024 Art 66, Law 58/2014 Art 56 before 2025-07; cut per year before
    the statutory age) times the revalued average salary (Law 41/2024 Arts 72-73, Law 58/2014
    Arts 62-63 before 2025-07: the refusal cites the averaging rows in force then): the one the
    decision states, its dossier's (salary before the system's records, a court's or
    inspection's correction), else the book's salary history's, as the book's estimate computes
    it, and at least the lowest pension of that law (Law 41/2024 Art 141(11), Law 58/2014 Art
    56(6)); another sum is refused, naming the expected one, the average it rests on, the law
    that rates it and the command that computes it. The rate is the record's either way."""
    expected = r.due.monthly_pension
    if expected is None or d.monthly_amount == expected:
        return []
    steps = "; ".join(step for step in r.due.explanation.steps if step.startswith(
        ("rate =", "early by", "monthly pension =", "lowest pension")))
    rated = next(row.source for row in r.due.explanation.rows if row.table == "pension_rates")
    averaged = _averaged_by(r)
    return [Problem(field="monthly_amount", reason=(
        f"{d.monthly_amount or 0:,} VND a month is not the pension the record gives, "
        f"{expected:,} VND: {r.counted} months of SI count on {d.decided_on.isoformat()} and "
        f"{r.average()}; {steps} ({rated}, the average {averaged}; {r.command()} "
        "computes it)"))]


def _averaged_by(r: _Record) -> str:
    """The articles the record's average salary was taken by: the state scale's window (Law
    41/2024 Art 72(1)), the employer-set pay's whole period and the mixed formula (Art
    72(2)-(3)), as the average used them; for a decision's own average, the article in force."""
    used = [row.source for row in r.due.explanation.rows if row.table == "averaging_windows"
            or row.key == "employer_set_average_years"]
    return " and ".join(dict.fromkeys(used)) or law.book().averaging_law(r.rules_on).source


def _extra_lump_sum(r: _Record, starts: Period, d: Decision) -> list[Problem]:
    """A pension's ``amount`` (paid once) is the extra lump sum of Law 41/2024 Art 68 (Law
    58/2014 Art 58 for a pension before 2025-07, the refusals cite the one in force) for the
    years of SI beyond those that give the maximum rate, as the law's formulas give it on the
    record at the decision, the way the book's estimate computes it: the months counted, the
    revalued average salary (the decision's own when it states one), 2 average salaries a year
    for the months paid past the retirement age by someone already eligible then (Art 68(2)).
    Refused when missing, when another sum is typed (the refusal names the expected one and
    the average), and when the record gives none. Unchecked when neither the decision nor the
    record gives an average salary."""
    expected, counted, facts = r.due.extra_lump_sum, r.counted, r.facts
    if expected is None or d.amount == expected or (expected == 0 and d.amount is None):
        return []
    above, full = years_above_full_rate(sex=sex_of(facts), contribution_months=counted,
                                        on=r.rules_on)
    # The law that pays it when the pension starts: Law 58/2014 Art 58 before 2025-07.
    article = law.book().parameter("extra_lump_sum_per_year", r.rules_on).row.source
    told = f"{counted} months of SI count on {d.decided_on.isoformat()}"
    if expected == 0:
        most = counted + max(0, starts - Period.of(d.decided_on) - 1)
        still = "" if most == counted else (
            f"; at most {most} by the pension's start, but a month still to come counts only "
            "once paid: settle the pension then")
        return [Problem(field="amount", reason=(
            f"{told}: no year beyond the {full} that give the maximum rate, so no extra lump "
            f"sum is paid once ({article}){still}"))]
    late = int(r.due.explanation.inputs["months_past_retirement_age"])
    how = "; ".join(step for step in r.due.explanation.steps
                    if step.startswith(("extra lump sum", "+ ")))
    stated = f"; {r.average()}" if r.stated else ""
    why = (f"{told}: {above} years beyond the {full} that give the maximum rate"
           f"{_past_age(facts, counted, late, above, r.rules_on)}{stated}; {how} ({article}; "
           f"{r.command()} computes it)")
    if d.amount is None:
        return [Problem(field="amount", reason=(
            f"the extra lump sum of {expected:,} VND is paid once with the pension: {why}"))]
    return [Problem(field="amount", reason=(
        f"{d.amount:,} VND is not the extra lump sum the record gives, {expected:,} VND: "
        f"{why}"))]


def _past_age(facts: registry.PersonFacts, counted: int, late: int, above: Decimal,
              on: Period) -> str:
    """Of the ``above`` years, those in the ``late`` months paid after the retirement age by
    someone eligible then, which Law 41/2024 Art 68(2) pays at a higher rate; said when any
    (Law 58/2014 Art 58, for a pension before 2025-07, pays them as any other)."""
    due = retirement_of(facts)
    rates = law.book().parameter
    if due is None or late == 0 or (rates("extra_lump_sum_per_year_past_retirement_age", on).value
                                    <= rates("extra_lump_sum_per_year", on).value):
        return ""
    before, _ = years_above_full_rate(sex=sex_of(facts), contribution_months=counted - late,
                                      on=on)
    if above == before:
        return ""
    return (f" ({above - before} of them in the {late} months paid after the retirement age "
            f"was reached in {due.reached}, at the higher rate of Art 68(2))")


def _months_settled(session: Session, person_id: int, c: Claim, d: Decision) -> int:
    """The SI months a one-time withdrawal pays out, or the UI months an unemployment benefit
    uses, counted from the book as of the decision; refused when there are none to count or
    the person went back to work since the claim."""
    if d.outcome != SETTLED or c.regime not in (Regime.LUMP_SUM, Regime.UNEMPLOYMENT):
        return 0
    si = contributions.si_periods_of(session=session, person_id=person_id)
    if c.regime is Regime.LUMP_SUM:
        month = Period.of(d.decided_on)
        problems = (still_contributing(si, month, paid_from(session, person_id, si, month,
                                                            d.decided_on))
                    or pensioner(session, person_id))
    else:
        ui = contributions.ui_periods_of(session=session, person_id=person_id)
        ended = Period.of(c.event_from or c.received_on)
        employer = last_ui_employer(session, ui, ended)
        problems = (still_employed(si, ui, ended + 1)
                    or ui_qualifying(session, person_id, ended, d.decided_on)
                    or above_ui_cap(employer, ended, d.monthly_amount))
    if problems:
        raise ValidationError(problems)
    # The UI months paid (by the decision) up to the termination give its benefit; those of a
    # later contract belong to that contract's own termination (FACTS §4.6).
    totals = book.assemble_person(
        session=session, person_id=person_id, as_of=d.decided_on,
        ui_through=None if c.regime is Regime.LUMP_SUM
        else Period.of(c.event_from or c.received_on))["totals"]
    if c.regime is Regime.LUMP_SUM:
        if totals["si_months"] <= 0:
            raise ValidationError(field="outcome", reason=(
                "no SI months left to pay out as of " + d.decided_on.isoformat()))
        return int(totals["si_months"])
    # The months paid since the last benefit and those reserved before it both count.
    available = int(totals["ui_months"]) + int(totals["ui_reserved_months"])
    allowed = benefit_months(available, Period.of(c.event_from or c.received_on))
    if allowed == 0:
        raise ValidationError(field="outcome", reason=(
            f"{available} months of UI contributions count as of {d.decided_on.isoformat()}, "
            "too few for an unemployment benefit (FACTS §4.6: at least 12)"))
    if (d.months or 0) > allowed:
        raise ValidationError(field="months", reason=(
            f"{available} months of UI contributions give at most {allowed} months of benefit "
            "(3 for 12-36 months, one more per further 12, at most 12; FACTS §4.6)"))
    if problems := unemployment_on_record(employer, ui, c.event_from or c.received_on,
                                          available, d):
        raise ValidationError(problems)
    return ui_months_used(available, d.months or 0)

