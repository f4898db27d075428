"""Receiving a claim, deciding it, and listing a person's benefits.

Each is recorded once: the same dossier received again, or the same decision taken again,
answers the first result and changes nothing (a retried request, a re-run script); with other
content it is refused (409, naming the field). What the law asks of the person's record is
checked against the record: sickness and work-accident benefits are for someone in compulsory
SI at the time, a one-time withdrawal for someone who has stopped contributing and is on no
pension (FACTS §4.2), a pension for someone who has reached the retirement age and whose record
can reach 15 years, or before that age as far as the loss of working capacity the claim gives
allows, with 20 years (§4.1, Law 41/2024 Art 65; both checked again when settled), an
unemployment benefit for at least 12 months of UI contributions (FACTS §4.6).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.benefits.domain import (
    NAMES,
    SETTLED,
    Benefit,
    Claim,
    Decision,
    Regime,
    check_claim,
    check_decision,
    ui_months_used,
)
from sibook.benefits.records import claim_of, decision_of
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.book import service as book
from sibook.contributions import service as contributions
from sibook.core.errors import (
    ConflictError,
    NotFoundError,
    Problem,
    SibookError,
    ValidationError,
)
from sibook.core.period import Period
from sibook.law import NoRuleInForce
from sibook.law.terms import Sex
from sibook.registry import service as registry
from sibook.registry.store import Employer, Person
from sibook.rules.pension import EarlyRetirement, early_retirement, years_above_full_rate
from sibook.rules.retirement import RetirementResult, age_text, retirement_age
from sibook.rules.unemployment import benefit_cap, benefit_months
from sibook.visits.domain import clipped

COVERED_KINDS = ("compulsory", "foreign")
BEFORE_2025_07 = Period(2025, 7)  # Law 41/2024 in force: ground e) grandfathers earlier SI
# A person retires once and dies once: a second pension or survivorship claim, whatever day it
# names, is the same event again (unless the first was refused).
ONCE = (Regime.PENSION, Regime.SURVIVORSHIP)
PENSION_YEARS = 15  # with the retirement age, years of SI that give a pension (Art 64, FACTS §4.1)


class SameOfficer(SibookError):
    """The officer who received a claim may not decide it (four eyes on every payment)."""


class BenefitConflict(ConflictError):
    """The dossier or decision was recorded before with other content: ``field`` says where;
    ``holder``: the person the dossier is recorded for, when another (the attempt is theirs to
    see in their access log too, as a registration of their number is)."""

    def __init__(self, field: str, reason: str, holder: int | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.holder = holder


def receive_claim(*, session: Session, person_id: int, personal_id: str, claim: Claim,
                  actor: str, today: date | None = None) -> dict[str, Any]:
    """Record a claim as received, once per dossier number."""
    problems = check_claim(claim, today or date.today())
    if problems:
        raise ValidationError(problems)
    _lock_person(session, person_id)
    key = claim.dossier_no.upper()
    earlier = session.scalars(select(BenefitClaim).where(BenefitClaim.dossier_key == key)
                              ).one_or_none()
    if earlier is not None:
        if earlier.person_id != person_id:
            raise _of_another_person(earlier)
        _same("dossier", earlier.dossier_no, claim_of(earlier), claim)
        return _answer(session, personal_id, earlier, replayed=True)
    problems = _eligible(session, person_id, claim)
    if problems:
        raise ValidationError(problems)
    number = 1 + (session.scalar(select(func.max(BenefitClaim.claim_no))
                                 .where(BenefitClaim.person_id == person_id)) or 0)
    try:
        with session.begin_nested():
            session.execute(insert(BenefitClaim).values(
                person_id=person_id, claim_no=number, regime=str(claim.regime),
                dossier_no=claim.dossier_no, dossier_key=key, received_on=claim.received_on,
                event_from=claim.event_from, event_to=claim.event_to, note=claim.note,
                ground=claim.ground, capacity_loss_percent=claim.capacity_loss_percent,
                hazardous_years=claim.hazardous_years, recorded_by=actor[:64]))
    except IntegrityError:
        # The same dossier received for another person at the same moment (each claim locks
        # its own person only): PostgreSQL made this one wait for it. Refused as after it.
        held = session.scalars(select(BenefitClaim).where(BenefitClaim.dossier_key == key)
                               ).one_or_none()
        if held is None or held.person_id == person_id:
            raise
        raise _of_another_person(held) from None
    return _answer(session, personal_id, session.get_one(BenefitClaim, (person_id, number)),
                   replayed=False)


def _of_another_person(held: BenefitClaim) -> BenefitConflict:
    return BenefitConflict("dossier_no", f"dossier {held.dossier_no} is recorded for another "
                                         "person", holder=held.person_id)


def decide(*, session: Session, person_id: int, personal_id: str, dossier_no: str,
           decision: Decision, actor: str, today: date | None = None,
           four_eyes: bool = False) -> dict[str, Any]:
    """Settle or refuse a received claim, once; with ``four_eyes`` (officers over HTTP) not by
    the officer who received it. An operator's command holds the database anyway."""
    _lock_person(session, person_id)
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
        _same("decision", earlier.decision_no, was, decision, skip=("months_settled",))
        return _answer(session, personal_id, row, replayed=True)
    day = today or date.today()
    problems = check_decision(claim, decision, day)
    if problems:
        raise ValidationError(problems)
    if problems := _pension_on_record(session, person_id, claim, decision):
        raise ValidationError(problems)
    settled = _months_settled(session, person_id, claim, decision)
    session.execute(insert(BenefitDecision).values(
        person_id=person_id, claim_no=row.claim_no, outcome=decision.outcome,
        decided_on=decision.decided_on, decision_no=decision.decision_no,
        amount=decision.amount, monthly_amount=decision.monthly_amount,
        from_month=None if decision.from_month is None else decision.from_month.index,
        months=decision.months, days=decision.days, reason=decision.reason,
        months_settled=settled, recorded_by=actor[:64]))
    return _answer(session, personal_id, row, replayed=False)


def listing(*, session: Session, person_id: int, personal_id: str) -> dict[str, Any]:
    """The person's claims in the order received, each with its decision."""
    rows = session.scalars(select(BenefitClaim).where(BenefitClaim.person_id == person_id)
                           .order_by(BenefitClaim.received_on, BenefitClaim.claim_no)).all()
    return {"personal_id": personal_id,
            "benefits": [_answer(session, personal_id, r) for r in rows]}


def _lock_person(session: Session, person_id: int) -> None:
    """Two requests for one person take their numbers one after the other (PostgreSQL; SQLite's
    writer lock serialises them already)."""
    session.scalars(select(Person.person_id).where(Person.person_id == person_id)
                    .with_for_update()).one()


def _same(what: str, number: str, was: Claim | Decision, given: Claim | Decision, *,
          skip: tuple[str, ...] = ()) -> None:
    for f in fields(was):
        if f.name in skip or f.name == "dossier_no":  # the key itself, compared in upper case
            continue
        old, new = getattr(was, f.name), getattr(given, f.name)
        if old != new:
            raise BenefitConflict(f.name, f"{what} {number} was recorded with {f.name} "
                                          f"{_text(old)}, not {_text(new)}")


def _text(value: object) -> str:
    """A recorded or given value as a conflict names it: a long one cut (``clipped``)."""
    return "none" if value is None else value.isoformat() if isinstance(value, date) \
        else clipped(str(value))


def _eligible(session: Session, person_id: int, c: Claim) -> list[Problem]:
    """What the person's record must show for the claim to be received."""
    facts = registry.person_facts(session=session, person_id=person_id)
    born = facts.birth_date
    if c.event_from is not None and c.event_from < born:
        return [Problem(field="event_from", reason=(
            f"{c.event_from.isoformat()} is before the person was born ({born.isoformat()})"))]
    died = _death(session, person_id) if c.regime is not Regime.SURVIVORSHIP else None
    day, field = (c.event_from, "event_from") if c.event_from else (c.received_on, "received_on")
    if died is not None and day > died[0]:
        return [Problem(field=field, reason=(
            f"{day.isoformat()} is after the person's death on {died[0].isoformat()} "
            f"(dossier {died[1]}): no benefit of theirs begins after it"))]
    clash = _overlapping(session, person_id, c)
    if clash is not None:
        dossier, same = clash
        return [Problem(field="event_from" if c.event_from else "regime", reason=(
            f"dossier {dossier} already claims this {c.regime} for the same {same}; it is "
            "settled or being decided once"))]
    si = [p for p in contributions.si_periods_of(session=session, person_id=person_id)
          if p.from_month <= Period.of(c.received_on)]
    if c.regime is Regime.UNEMPLOYMENT:
        ended = Period.of(c.event_from or c.received_on)
        ui = contributions.ui_periods_of(session=session, person_id=person_id)
        if not any(u.from_month <= ended for u in ui):
            return [Problem(field="regime", reason=(
                f"no UI contributions before {ended}: unemployment benefit is for UI "
                "participants"))]
        return (_still_employed(si, ui, ended + 1)
                or _pension_due_instead(session, person_id, c, facts, ended))
    if not si:
        return [Problem(field="regime", reason="no SI participation on record before "
                                               f"{c.received_on.isoformat()}")]
    if c.regime in (Regime.SICKNESS, Regime.OCCUPATIONAL) and c.event_from is not None:
        month = Period.of(c.event_from)
        if not any(p.kind in COVERED_KINDS and _covers(p.from_month, p.to_month, month)
                   for p in si):
            return [Problem(field="event_from", reason=(
                f"not in compulsory SI in {month}: {c.regime} benefits are for employees "
                "covered in the month of the event (voluntary SI pays pension and "
                "survivorship only)"))]
    if c.regime is Regime.MATERNITY and c.event_from is not None:
        month = Period.of(c.event_from)
        if not any(p.from_month <= month and (p.to_month is None or p.to_month >= month - 12)
                   for p in si):
            return [Problem(field="event_from", reason=(
                f"no SI in the 12 months before {month}: maternity benefits need contributions "
                "in the year before the leave (FACTS §4.4)"))]
    if c.regime is Regime.LUMP_SUM:
        return (_still_contributing(si, Period.of(c.received_on))
                or _pensioner(session, person_id)
                or _lump_sum_ground(session, person_id, c, si, facts))
    if c.regime is Regime.PENSION and c.event_from is not None:
        return _pension_due(session, person_id, facts, c, c.received_on)
    return []


def _lump_sum_ground(session: Session, person_id: int, c: Claim,
                     si: list[contributions.ParticipationRow],
                     facts: registry.PersonFacts) -> list[Problem]:
    """Grounds a) and e) of Law 41/2024 Art 70(1), checked against the record (FACTS §4.2)."""
    if c.ground not in ("retirement_age", "before_2025_07"):
        return []  # b, c, d, f: the dossier's papers (passport and visa, medical board, ...)
    month = Period.of(c.received_on)

    def years() -> float:  # the book's count: assembled only when the cheaper checks pass
        return _si_years(session, person_id, c.received_on)

    if c.ground == "retirement_age":
        reached = _retirement_month(facts)
        if month <= reached:  # retired at the end of the month the age is reached
            return [Problem(field="ground", reason=(
                f"retirement age is reached in {reached}: ground a) applies from the month "
                "after it"))]
        if (paid := years()) >= PENSION_YEARS:
            return [Problem(field="ground", reason=(
                f"{paid:.1f} years of SI: at {PENSION_YEARS} or more a pension is due, not a "
                "one-time withdrawal (ground a)"))]
        return []
    if not any(p.from_month < BEFORE_2025_07 for p in si):
        return [Problem(field="ground", reason=(
            "no SI before 2025-07: ground e) is for those who contributed before 1 July 2025"))]
    if any(p.to_month is None or p.to_month >= month - 12 for p in si):
        return [Problem(field="ground", reason=(
            f"SI in the 12 months before {month}: ground e) needs 12 months outside SI"))]
    if (paid := years()) >= 20:
        return [Problem(field="ground", reason=(
            f"{paid:.1f} years of SI: ground e) is for under 20 years"))]
    return []


def _pension_due_instead(session: Session, person_id: int, c: Claim,
                         facts: registry.PersonFacts, ended: Period) -> list[Problem]:
    """Unemployment benefit is not paid to someone who, leaving work, already qualifies for a
    pension: past retirement age with the years it needs (FACTS §4.6, §4.1)."""
    if ended <= _retirement_month(facts):
        return []
    on = c.event_from or c.received_on
    if (paid := _si_years(session, person_id, on)) < PENSION_YEARS:
        return []
    return [Problem(field="regime", reason=(
        f"past retirement age with {paid:.1f} years of SI on {on.isoformat()}: a pension is "
        "due, and unemployment benefit is not paid to someone who qualifies for one"))]


def _retirement(facts: registry.PersonFacts) -> RetirementResult | None:
    """The person's statutory retirement age and month (Decree 135/2020); None when it was
    reached before the law tables begin: long retired."""
    try:
        return retirement_age(sex=_sex(facts), birth_date=facts.birth_date)
    except NoRuleInForce:
        return None


def _sex(facts: registry.PersonFacts) -> Sex:
    """The sex the pension tables read the person by."""
    return "female" if facts.sex == "female" else "male"


def _retirement_month(facts: registry.PersonFacts) -> Period:
    """The month the person reaches the statutory retirement age (retired at its end)."""
    reached = _retirement(facts)
    return Period.of(facts.birth_date) if reached is None else reached.reached


def _pension_due(session: Session, person_id: int, facts: registry.PersonFacts, c: Claim,
                 on: date) -> list[Problem]:
    """A pension from the claim's start, by the record on ``on``: from the month after the
    retirement age is reached with 15 years of SI (Law 41/2024 Art 64; Decree 135/2020 Art 3),
    or before it as far as the claim's assessed loss of working capacity allows, with the
    years of SI that needs (Art 65)."""
    assert c.event_from is not None
    due = _retirement(facts)
    early = 0 if due is None else max(0, due.pension_from - Period.of(c.event_from))
    if due is None or early == 0:
        return _too_few_years(session, person_id, c.event_from, on, PENSION_YEARS,
                              "a pension needs", "Art 64")
    allowed = _early_allowed(c)
    if isinstance(allowed, str) or early > allowed.months:
        refused_for = (allowed if isinstance(allowed, str) else allowed.case)
        field = ("capacity_loss_percent"
                 if isinstance(allowed, EarlyRetirement) and allowed.months == 0
                 else "event_from")
        return [Problem(field=field, reason=(
            f"a pension from {c.event_from.isoformat()} is before retirement age: "
            f"{age_text(due.age_months)}, reached in {due.reached}, so a pension is paid from "
            f"{due.pension_from} (Law 41/2024 Art 64; Decree 135/2020); {early} months early: "
            f"{refused_for}"))]
    return _too_few_years(session, person_id, c.event_from, on, allowed.min_years,
                          f"a pension {early} months before retirement age needs", "Art 65")


def _early_allowed(c: Claim) -> EarlyRetirement | str:
    """How early the claim's loss of working capacity lets its pension start, or why it cannot
    start early at all."""
    if c.capacity_loss_percent is None:
        return ("an early pension for a reduced working capacity (Law 41/2024 Art 65) gives "
                "the assessed capacity_loss_percent")
    month = Period.of(c.event_from or c.received_on)
    try:
        return early_retirement(capacity_loss_percent=c.capacity_loss_percent,
                                hazardous_years=c.hazardous_years or 0, on=month)
    except NoRuleInForce:
        return f"no rule for an early pension in force in {month}"


def _too_few_years(session: Session, person_id: int, starts: date, on: date, years: int,
                   needs: str, article: str) -> list[Problem]:
    """A pension needs ``years`` of SI: refused when the months the book counts on ``on``,
    with every month still to come before the pension starts, fall short (those months may
    yet be paid: only a pension no contribution can reach is refused)."""
    counted = int(book.assemble_person(session=session, person_id=person_id,
                                       as_of=on)["totals"]["si_months"])
    most = counted + max(0, Period.of(starts) - Period.of(on) - 1)
    if most >= years * 12:
        return []
    return [Problem(field="regime", reason=(
        f"{counted} months of SI count on {on.isoformat()}, at most {most} by the pension's "
        f"start on {starts.isoformat()}: {needs} {years} years "
        f"({years * 12} months; Law 41/2024 {article})"))]


def _si_years(session: Session, person_id: int, on: date) -> float:
    """Years of SI that count on ``on``, as the book counts them."""
    totals = book.assemble_person(session=session, person_id=person_id, as_of=on)["totals"]
    return float(totals["si_months"]) / 12


def _covers(first: Period, last: Period | None, month: Period) -> bool:
    return first <= month and (last is None or month <= last)


def _still_contributing(si: list[contributions.ParticipationRow], month: Period
                        ) -> list[Problem]:
    if any(_covers(p.from_month, p.to_month, month) for p in si):
        return [Problem(field="regime", reason=(
            f"still contributing in {month}: a one-time withdrawal is for someone who has "
            "stopped contributing (Law 41/2024 Art 70)"))]
    return []


def _still_employed(si: list[contributions.ParticipationRow], ui: list[contributions.UIRow],
                    after: Period) -> list[Problem]:
    if any(_covers(u.from_month, u.to_month, after) for u in ui) or any(
            p.kind in COVERED_KINDS and _covers(p.from_month, p.to_month, after) for p in si):
        return [Problem(field="event_from", reason=(
            f"still employed under contract in {after}: unemployment benefit is for someone "
            "whose labour contract has ended (the employer files the decrease first)"))]
    return []


def _pensioner(session: Session, person_id: int) -> list[Problem]:
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


def _death(session: Session, person_id: int) -> tuple[date, str] | None:
    """The day of the person's death and its dossier, from a survivorship claim not refused
    (its event is the death). What happened before it may still be claimed by the survivors
    (a sick leave, a month of pension due); nothing of the person's begins after it."""
    refused = select(BenefitDecision.claim_no).where(
        BenefitDecision.person_id == person_id, BenefitDecision.outcome == "refused")
    row = session.execute(select(BenefitClaim.event_from, BenefitClaim.dossier_no).where(
        BenefitClaim.person_id == person_id,
        BenefitClaim.regime == str(Regime.SURVIVORSHIP),
        BenefitClaim.event_from.is_not(None),
        BenefitClaim.claim_no.not_in(refused)).order_by(BenefitClaim.event_from)).first()
    return None if row is None else (row[0], row[1])


def _overlapping(session: Session, person_id: int, c: Claim) -> tuple[str, str] | None:
    """The dossier of a claim, not refused, for the same event, and what makes it the same:
    the same days of leave, accident or diagnosis; the same termination (no contract paid UI in
    a month after the earlier day named, up to the later: a second claim a day or a month
    apart would otherwise pay the same months of unemployment twice); for a pension or a
    death, any (a person retires once and dies once); for a regime without event dates, any
    claim. One event is paid once."""
    decided = select(BenefitDecision.claim_no).where(
        BenefitDecision.person_id == person_id, BenefitDecision.outcome == "refused")
    rows = session.scalars(select(BenefitClaim).where(
        BenefitClaim.person_id == person_id, BenefitClaim.regime == str(c.regime),
        BenefitClaim.claim_no.not_in(decided))).all()
    ui = (contributions.ui_periods_of(session=session, person_id=person_id)
          if rows and c.regime is Regime.UNEMPLOYMENT else [])
    for r in rows:
        if c.regime in ONCE:
            return r.dossier_no, "person"
        if c.event_from is None or r.event_from is None:
            if c.regime is Regime.LUMP_SUM:
                continue  # after a withdrawal, new months may be withdrawn again
            return r.dossier_no, "person"
        if c.regime is Regime.UNEMPLOYMENT:
            lo, hi = sorted((Period.of(c.event_from), Period.of(r.event_from)))
            if not any(u.from_month <= hi and (u.to_month is None or u.to_month > lo)
                       for u in ui):  # no month of UI after the earlier day, to the later
                return r.dossier_no, "termination (no contract paid UI between the two days)"
            continue
        if (c.event_from <= (r.event_to or r.event_from)
                and r.event_from <= (c.event_to or c.event_from)):
            return r.dossier_no, "days"
    return None


def _pension_on_record(session: Session, person_id: int, c: Claim, d: Decision
                       ) -> list[Problem]:
    """A pension is settled from the month after the retirement age is reached (or as early as
    the claim's loss of working capacity allows), with the years of SI the record can reach,
    by the record as it stands at the decision (a claim received before these checks existed,
    or months paid out by a withdrawal since, are caught here)."""
    if d.outcome != SETTLED or c.regime is not Regime.PENSION:
        return []
    facts = registry.person_facts(session=session, person_id=person_id)
    # from_month is never before the event's month (check_decision): the start day decides.
    if c.event_from is None:
        return []
    return (_pension_due(session, person_id, facts, c, d.decided_on)
            or _extra_lump_sum(session, person_id, facts, c, d))


def _extra_lump_sum(session: Session, person_id: int, facts: registry.PersonFacts, c: Claim,
                    d: Decision) -> list[Problem]:
    """A pension's ``amount`` (paid once) is the extra lump sum for the years of SI beyond those
    that give the maximum rate (Law 41/2024 Art 68; ``sibook rules pension`` computes it as
    ``extra_lump_sum``): refused when the record cannot reach such a year by the pension's
    start, required when the months it counts at the decision already do. Unchecked for a
    start no law table prices."""
    assert c.event_from is not None
    counted = int(book.assemble_person(session=session, person_id=person_id,
                                       as_of=d.decided_on)["totals"]["si_months"])
    most = counted + max(0, Period.of(c.event_from) - Period.of(d.decided_on) - 1)
    starts = Period.of(c.event_from)
    try:
        least_above, full = years_above_full_rate(sex=_sex(facts), contribution_months=counted,
                                                  on=starts)
        most_above, _ = years_above_full_rate(sex=_sex(facts), contribution_months=most,
                                              on=starts)
    except (NoRuleInForce, ValidationError):  # no table; or too few years, refused before
        return []
    told = f"{counted} months of SI count on {d.decided_on.isoformat()}"
    if d.amount is not None and most_above == 0:
        return [Problem(field="amount", reason=(
            f"{told}, at most {most} by the pension's start: no year beyond the {full} that "
            "give the maximum rate, so no extra lump sum is paid once (Law 41/2024 Art 68)"))]
    if d.amount is None and least_above > 0:
        return [Problem(field="amount", reason=(
            f"{told}: {least_above} years beyond the {full} that give the maximum rate"
            f"{_past_age(session, person_id, facts, counted, least_above, d, starts)}, for "
            "which the extra lump sum is paid once with the pension (Law 41/2024 Art 68; "
            "`sibook rules pension` computes it, with --months-past-retirement-age): how "
            "much"))]
    return []


def _past_age(session: Session, person_id: int, facts: registry.PersonFacts, counted: int,
              above: Decimal, d: Decision, starts: Period) -> str:
    """Of the ``above`` years, those paid after the retirement age was reached, which Law
    41/2024 Art 68(2) pays at a higher rate (FACTS §4.1); said when there are any."""
    due = _retirement(facts)
    if due is None:
        return ""
    late = book.months_paid_after(session=session, person_id=person_id, as_of=d.decided_on,
                                  after=due.reached)
    late = min(late, counted)
    try:
        before, _ = years_above_full_rate(sex=_sex(facts), contribution_months=counted - late,
                                          on=starts)
    except (NoRuleInForce, ValidationError):  # too few years by the age for any band
        before = Decimal(0)
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
        problems = (_still_contributing(si, Period.of(d.decided_on))
                    or _pensioner(session, person_id))
    else:
        ui = contributions.ui_periods_of(session=session, person_id=person_id)
        ended = Period.of(c.event_from or c.received_on)
        problems = (_still_employed(si, ui, ended + 1)
                    or _above_ui_cap(session, ui, ended, d.monthly_amount))
    if problems:
        raise ValidationError(problems)
    totals = book.assemble_person(session=session, person_id=person_id,
                                  as_of=d.decided_on)["totals"]
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
    return ui_months_used(available, d.months or 0)


def _above_ui_cap(session: Session, ui: list[contributions.UIRow], ended: Period,
                  monthly: int | None) -> list[Problem]:
    """A monthly unemployment benefit is at most 5 x the regional minimum wage in force at
    termination (FACTS §4.6), in the region of the last employer that paid UI for the person
    (the employer's region as recorded now, as the book's amounts use it). Unchecked for a
    month no law table prices."""
    last = max((u for u in ui if u.from_month <= ended), key=lambda u: u.from_month,
               default=None)
    employer = None if last is None else session.get(Employer, last.employer_id)
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


def _answer(session: Session, personal_id: str, row: BenefitClaim, *,
            replayed: bool | None = None) -> dict[str, Any]:
    """The claim with its decision; ``replayed`` (whether it was recorded before) for the answer
    to a request that records, absent from a listing."""
    decision = session.get(BenefitDecision, (row.person_id, row.claim_no))
    b = Benefit(claim_of(row), None if decision is None else decision_of(decision))
    c, d = b.claim, b.decision
    return {
        "personal_id": personal_id, "dossier_no": c.dossier_no, "regime": str(c.regime),
        "regime_name": NAMES[c.regime], "received_on": c.received_on.isoformat(),
        "event_from": c.event_from and c.event_from.isoformat(),
        "event_to": c.event_to and c.event_to.isoformat(), "note": c.note, "ground": c.ground,
        "capacity_loss_percent": c.capacity_loss_percent, "hazardous_years": c.hazardous_years,
        "recorded_at": _utc(row.recorded_at).isoformat(), "status": b.status,
        "decision": None if d is None or decision is None else {
            "outcome": d.outcome, "decided_on": d.decided_on.isoformat(),
            "decision_no": d.decision_no, "amount": d.amount,
            "monthly_amount": d.monthly_amount,
            "from_month": None if d.from_month is None else str(d.from_month),
            "months": d.months, "days": d.days, "reason": d.reason,
            "months_settled": d.months_settled,
            "recorded_at": _utc(decision.recorded_at).isoformat()},
    } | ({} if replayed is None else {"replayed": replayed})


def _utc(at: datetime) -> datetime:
    # SQLite hands back the UTC timestamp it stored without its zone.
    return at if at.tzinfo else at.replace(tzinfo=UTC)

