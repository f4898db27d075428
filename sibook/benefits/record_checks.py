"""What a person's record must show for a benefit, checked when a claim is received and again
when it is settled: a pension at the retirement age with the years of SI the law in force when
it starts asks (15 from 2025-07, Law 41/2024 Art 64; 20 before, Law 58/2014 Art 54), or before
the age as far as the assessed loss of working capacity allows with 20 (Law 41/2024 Art 65,
FACTS §4.1); a one-time withdrawal for someone who has stopped contributing and is on no
pension (§4.2); an unemployment benefit for someone whose contract has ended, with 12 months of
UI paid in the 24 before (§4.6)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook import law
from sibook.benefits.domain import SETTLED, Claim, Regime
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.law import Fact, NoRuleInForce
from sibook.law.terms import Sex
from sibook.registry import reading as registry
from sibook.rules.pension import EarlyRetirement, check_priced, early_retirement
from sibook.rules.retirement import RetirementResult, age_text, retirement_age

COVERED_KINDS = ("compulsory", "foreign")


def pension_years(day: date) -> Fact[int]:
    """The years of SI that, with the retirement age, give a pension starting on ``day``, and
    the law's row that says so: the law in force then decides (Law 41/2024 Art 5(7)), 20 to
    June 2025 (Law 58/2014 Art 54), 15 from July (Art 64). Raises NoRuleInForce for a day no
    law table covers."""
    return law.book().pension_min_years(Period.of(day))


def retirement_of(facts: registry.PersonFacts) -> RetirementResult | None:
    """The person's statutory retirement age and month (Decree 135/2020); None when it was
    reached before the law tables begin: long retired."""
    try:
        return retirement_age(sex=sex_of(facts), birth_date=facts.birth_date)
    except NoRuleInForce:
        return None


def sex_of(facts: registry.PersonFacts) -> Sex:
    """The sex the pension tables read the person by."""
    return "female" if facts.sex == "female" else "male"


def retirement_month(facts: registry.PersonFacts) -> Period:
    """The month the person reaches the statutory retirement age (retired at its end)."""
    reached = retirement_of(facts)
    return Period.of(facts.birth_date) if reached is None else reached.reached


def pension_due(session: Session, person_id: int, facts: registry.PersonFacts, c: Claim,
                on: date) -> list[Problem]:
    """A pension from the claim's start, by the record on ``on``: from the month after the
    retirement age is reached with the years of SI of ``pension_years`` (Decree 135/2020 Art
    3), or before it as far as the claim's assessed loss of working capacity allows, with the
    years of SI that needs; each refusal cites the law row in force when the pension starts,
    and one starting before the first rules loaded is refused naming ``event_from``."""
    assert c.event_from is not None
    due = retirement_of(facts)
    early = 0 if due is None else max(0, due.pension_from - Period.of(c.event_from))
    try:  # a pension before the rules loaded: the claim's start is what is refused
        check_priced(Period.of(c.event_from))
    except NoRuleInForce as before:
        return [Problem(field="event_from", reason=before.problems[0].reason)]
    needed = pension_years(c.event_from)
    if due is None or early == 0:
        # At the statutory age voluntary months count: 15 years of compulsory SI give the
        # compulsory scheme's pension (Art 64(1)), fewer with voluntary ones the voluntary
        # scheme's, 15 years of SI of either kind (Arts 98, 111(1)(a)); both rate the pension
        # on all the years paid (Arts 66(1), 99(1) alike; Art 5(3)). Law 58/2014 Arts 54, 71,
        # 73 the same with 20 years before 2025-07.
        return _too_few_years(session, person_id, c.event_from, on, needed.value,
                              "a pension needs", needed.row.source)
    allowed = _early_allowed(c)
    if isinstance(allowed, str) or early > allowed.months:
        refused_for = (allowed if isinstance(allowed, str) else allowed.case)
        field = ("capacity_loss_percent"
                 if isinstance(allowed, EarlyRetirement) and allowed.months == 0
                 else "event_from")
        return [Problem(field=field, reason=(
            f"a pension from {c.event_from.isoformat()} is before retirement age: "
            f"{age_text(due.age_months)}, reached in {due.reached}, so a pension is paid from "
            f"{due.pension_from} ({needed.row.source}; Decree 135/2020); {early} months early: "
            f"{refused_for}"))]
    return _too_few_years(session, person_id, c.event_from, on, allowed.min_years,
                          f"a pension {early} months before retirement age needs",
                          allowed.min_years_source, compulsory=True)


def _early_allowed(c: Claim) -> EarlyRetirement | str:
    """How early the claim's loss of working capacity lets its pension start, or why it cannot
    start early at all."""
    month = Period.of(c.event_from or c.received_on)
    try:
        if c.capacity_loss_percent is None:
            source = law.book().parameter("early_loss_percent", month).row.source
            return (f"an early pension for a reduced working capacity ({source}) gives the "
                    "assessed capacity_loss_percent")
        return early_retirement(capacity_loss_percent=c.capacity_loss_percent,
                                hazardous_years=c.hazardous_years or 0, on=month)
    except NoRuleInForce:
        return f"no rule for an early pension in force in {month}"


def _too_few_years(session: Session, person_id: int, starts: date, on: date, years: int,
                   needs: str, article: str, *, compulsory: bool = False) -> list[Problem]:
    """A pension needs ``years`` of SI (``compulsory``: of compulsory SI, an early pension's,
    Law 41/2024 Art 65(1)): refused when the months the book counts on ``on``, with every
    month still to come before the pension starts, fall short (those months may yet be paid:
    only a pension no contribution can reach is refused)."""
    months, compulsory_months = book.si_months_counted(session=session, person_id=person_id,
                                                       as_of=on)
    counted = compulsory_months if compulsory else months
    most = counted + max(0, Period.of(starts) - Period.of(on) - 1)
    if most >= years * 12:
        return []
    kind = "compulsory SI" if compulsory else "SI"
    left = "" if months == counted else (
        f" (the other {months - counted} voluntary, which an early pension does not count: "
        "with fewer years of compulsory SI, Law 41/2024 Art 111(1)(a) gives the voluntary "
        "scheme's pension, at the statutory age only, Art 98)")
    return [Problem(field="regime", reason=(
        f"{counted} months of {kind} count on {on.isoformat()}{left}, at most {most} by the "
        f"pension's start on {starts.isoformat()}: {needs} {years} years "
        f"({years * 12} months; {article})"))]


def si_years(session: Session, person_id: int, on: date) -> float:
    """Years of SI that count on ``on``, as the book counts them."""
    totals = book.assemble_person(session=session, person_id=person_id, as_of=on)["totals"]
    return float(totals["si_months"]) / 12


def covers(first: Period, last: Period | None, month: Period) -> bool:
    return first <= month and (last is None or month <= last)


def still_contributing(si: list[contributions.ParticipationRow], month: Period,
                       paid_through: Period | None = None) -> list[Problem]:
    """A one-time withdrawal is for someone who has stopped contributing (Law 41/2024 Art 70):
    refused while an employer's period covers ``month``, or while voluntary months from it on
    are paid, through ``paid_through`` (``stopped_paying.paid_from``: a voluntary participant
    stops by not paying, so an open voluntary period alone does not refuse it)."""
    if any(p.kind != "voluntary" and covers(p.from_month, p.to_month, month) for p in si):
        return [Problem(field="regime", reason=(
            f"still contributing in {month}: a one-time withdrawal is for someone who has "
            "stopped contributing (Law 41/2024 Art 70)"))]
    if paid_through is not None:
        return [Problem(field="regime", reason=(
            f"voluntary SI is paid through {paid_through}, covering {month}: a one-time "
            "withdrawal is for someone who has stopped contributing (Law 41/2024 Art 70), "
            "and a voluntary participant stops by not paying; it is paid from "
            f"{paid_through + 1} at the earliest"))]
    return []


def still_employed(si: list[contributions.ParticipationRow], ui: list[contributions.UIRow],
                   after: Period) -> list[Problem]:
    if any(covers(u.from_month, u.to_month, after) for u in ui) or any(
            p.kind in COVERED_KINDS and covers(p.from_month, p.to_month, after) for p in si):
        return [Problem(field="event_from", reason=(
            f"still employed under contract in {after}: unemployment benefit is for someone "
            "whose labour contract has ended (the employer files the decrease first)"))]
    return []


def ui_qualifying(session: Session, person_id: int, ended: Period, on: date) -> list[Problem]:
    """Unemployment benefit needs ``ui_min_months`` of UI paid in the
    ``ui_qualifying_window_months`` before the labour contract ended in ``ended`` (Law on
    Employment 38/2013 Art 49(2); Law 74/2025 Art 38 from 2026), paid by ``on`` as the book
    counts them. Months up to an earlier benefit's termination do not qualify again: that
    benefit used them, or reserved them to lengthen a later one once it qualifies (FACTS §4.6).
    Unchecked for a termination no law table covers."""
    rules = law.book().parameter
    try:
        least, window = rules("ui_min_months", ended), rules("ui_qualifying_window_months", ended)
    except NoRuleInForce:
        return []
    start = ended - (int(window.value) - 1)
    after = _after_last_ui_benefit(session, person_id, ended, on)
    first = start if after is None else max(start, after)
    paid = book.ui_paid_between(session=session, person_id=person_id, as_of=on, first=first,
                                last=ended) if first <= ended else 0
    if paid >= least.value:
        return []
    since = "" if first == start else (
        f" (those before {first} counted for an earlier unemployment benefit)")
    return [Problem(field="event_from", reason=(
        f"{paid} months of UI paid from {first} to {ended} as of {on.isoformat()}{since}: "
        f"unemployment benefit needs {least.value} months of UI contributions in the "
        f"{window.value} months before the labour contract ended ({window.row.source})"))]


def _after_last_ui_benefit(session: Session, person_id: int, ended: Period, on: date
                           ) -> Period | None:
    """The month after the latest termination before ``ended`` that an unemployment benefit
    was settled on by ``on``; None when none was."""
    rows = session.execute(select(BenefitClaim.event_from, BenefitClaim.received_on).join(
        BenefitDecision, (BenefitDecision.person_id == BenefitClaim.person_id)
        & (BenefitDecision.claim_no == BenefitClaim.claim_no)).where(
        BenefitClaim.person_id == person_id,
        BenefitClaim.regime == str(Regime.UNEMPLOYMENT),
        BenefitDecision.outcome == SETTLED, BenefitDecision.decided_on <= on)).all()
    earlier = [Period.of(day or received) for day, received in rows
               if Period.of(day or received) < ended]
    return max(earlier) + 1 if earlier else None


def pensioner(session: Session, person_id: int) -> list[Problem]:
    """A one-time withdrawal is for someone not on a pension, whatever the ground (Law 41/2024
    Art 70(1): the person has stopped contributing and, under f, is not eligible for one): a
    pension claim not refused (settled, or still to be decided) stands in its way."""
    refused = select(BenefitDecision.claim_no).where(
        BenefitDecision.person_id == person_id, BenefitDecision.outcome == "refused")
    row = session.execute(select(BenefitClaim.dossier_no, BenefitDecision.outcome).outerjoin(
        BenefitDecision, (BenefitDecision.person_id == BenefitClaim.person_id)
        & (BenefitDecision.claim_no == BenefitClaim.claim_no)).where(
        BenefitClaim.person_id == person_id, BenefitClaim.regime == str(Regime.PENSION),
        BenefitClaim.claim_no.not_in(refused)).order_by(BenefitClaim.claim_no)).first()
    if row is None:
        return []
    state = "settles" if row[1] == SETTLED else "claims"
    return [Problem(field="regime", reason=(
        f"dossier {row[0]} {state} a pension for this person: a one-time withdrawal is not "
        "paid to someone who receives (or has claimed) a pension"))]


def withdrawn(session: Session, person_id: int, on: date) -> list[Problem]:
    """A one-time withdrawal pays out every SI month the book counts (FACTS §4.2): one still to
    be decided claims them already, and after one settled only the months paid since are left
    to withdraw, so a claim with none is refused when received, naming the dossier, as it
    would be when settled."""
    rows = session.execute(select(BenefitClaim.dossier_no, BenefitDecision.outcome,
                                  BenefitDecision.months_settled).outerjoin(
        BenefitDecision, (BenefitDecision.person_id == BenefitClaim.person_id)
        & (BenefitDecision.claim_no == BenefitClaim.claim_no)).where(
        BenefitClaim.person_id == person_id, BenefitClaim.regime == str(Regime.LUMP_SUM))
        .order_by(BenefitClaim.claim_no)).all()
    for dossier, outcome, _ in rows:
        if outcome is None:
            return [Problem(field="regime", reason=(
                f"dossier {dossier} already claims a one-time withdrawal of these months; it "
                "is settled or being decided once"))]
    settled = [(dossier, months) for dossier, outcome, months in rows if outcome == SETTLED]
    if not settled or si_years(session, person_id, on) > 0:
        return []
    dossier, months = settled[-1]
    return [Problem(field="regime", reason=(
        f"no SI months left to pay out as of {on.isoformat()}: dossier {dossier} paid out "
        f"{months} months, and only months paid since may be withdrawn again"))]
