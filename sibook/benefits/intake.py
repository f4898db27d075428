"""Receiving a claim, once per dossier number, when the person's record supports it: sickness
and work-accident benefits are for someone in compulsory SI at the time (a sick leave also in a
month declared off sick, ``occupational.at_the_event``), an occupational
disease diagnosed later too within its guarantee period (``occupational``), maternity for 6
months of compulsory SI paid in the 12 (24 after infertility treatment) before the birth
(``maternity_checks``, checked again when settled), a one-time withdrawal for someone who has
stopped contributing and is on no pension (grounds a and e checked against the record, FACTS
§4.2), a pension as ``record_checks`` says for someone who has left work (``left_work``), an
unemployment benefit for a UI participant whose contract has ended with 12 months of UI paid in
the 24 before (``record_checks.ui_qualifying``, checked again when settled, FACTS §4.6); one
event, and one day of leave, is claimed once unless refused, and nothing begins after a
death."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.benefits import occupational
from sibook.benefits.domain import Claim, Regime, check_claim
from sibook.benefits.left_work import still_working
from sibook.benefits.maternity_checks import maternity_supported
from sibook.benefits.overlap import after_death, overlapping
from sibook.benefits.reading import answer
from sibook.benefits.record_checks import (
    pension_due,
    pension_years,
    pensioner,
    retirement_month,
    si_years,
    still_contributing,
    still_employed,
    ui_qualifying,
    withdrawn,
)
from sibook.benefits.recorded_once import BenefitConflict, check_same, lock_person
from sibook.benefits.records import claim_of
from sibook.benefits.stopped_paying import paid_from
from sibook.benefits.store import BenefitClaim
from sibook.contributions import service as contributions
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from sibook.law import LAW_41_2024_IN_FORCE
from sibook.registry import reading as registry


def receive_claim(*, session: Session, person_id: int, personal_id: str, claim: Claim,
                  actor: str, today: date | None = None) -> dict[str, Any]:
    """Record a claim as received, once per dossier number."""
    problems = check_claim(claim, today or date.today())
    if problems:
        raise ValidationError(problems)
    lock_person(session, person_id)
    key = claim.dossier_no.upper()
    earlier = session.scalars(select(BenefitClaim).where(BenefitClaim.dossier_key == key)
                              ).one_or_none()
    if earlier is not None:
        if earlier.person_id != person_id:
            raise _of_another_person(earlier)
        was = claim_of(earlier)  # a month exposure ended that the claim left to the record
        check_same("dossier", earlier.dossier_no, was, claim if claim.exposure_ended else
                   replace(claim, exposure_ended=was.exposure_ended))
        return answer(session, personal_id, earlier, replayed=True)
    if occupational.after_the_job(claim):
        claim = occupational.with_exposure_end(
            contributions.si_periods_of(session=session, person_id=person_id), claim)
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
                hazardous_years=claim.hazardous_years,
                infertility_treatment=claim.infertility_treatment or None,
                occupational_kind=claim.occupational_kind, disease_code=claim.disease_code,
                disease_form=claim.disease_form,
                exposure_ended=claim.exposure_ended and claim.exposure_ended.index,
                recorded_by=actor[:64]))
    except IntegrityError:
        # The same dossier received for another person at the same moment (each claim locks
        # its own person only): PostgreSQL made this one wait for it. Refused as after it.
        held = session.scalars(select(BenefitClaim).where(BenefitClaim.dossier_key == key)
                               ).one_or_none()
        if held is None or held.person_id == person_id:
            raise
        raise _of_another_person(held) from None
    return answer(session, personal_id, session.get_one(BenefitClaim, (person_id, number)),
                  replayed=False)


def _of_another_person(held: BenefitClaim) -> BenefitConflict:
    return BenefitConflict("dossier_no", f"dossier {held.dossier_no} is recorded for another "
                                         "person", holder=held.person_id)


def _eligible(session: Session, person_id: int, c: Claim) -> list[Problem]:
    """What the person's record must show for the claim to be received."""
    facts = registry.person_facts(session=session, person_id=person_id)
    born = facts.birth_date
    if c.event_from is not None and c.event_from < born:
        return [Problem(field="event_from", reason=(
            f"{c.event_from.isoformat()} is before the person was born ({born.isoformat()})"))]
    if died := after_death(session, person_id, c):
        return died
    clash = overlapping(session, person_id, c)
    if clash is not None:
        return [clash]
    periods = contributions.si_periods_of(session=session, person_id=person_id)
    si = [p for p in periods if p.from_month <= Period.of(c.received_on)]
    if c.regime is Regime.UNEMPLOYMENT:
        ended = Period.of(c.event_from or c.received_on)
        ui = contributions.ui_periods_of(session=session, person_id=person_id)
        if not any(u.from_month <= ended for u in ui):
            return [Problem(field="regime", reason=(
                f"no UI contributions before {ended}: unemployment benefit is for UI "
                "participants"))]
        return (still_employed(si, ui, ended + 1)
                or ui_qualifying(session, person_id, ended, c.received_on)
                or _pension_due_instead(session, person_id, c, facts, ended))
    if not si:
        return [Problem(field="regime", reason="no SI participation on record before "
                                               f"{c.received_on.isoformat()}")]
    if problems := occupational.at_the_event(si, c):
        return problems
    if c.regime is Regime.MATERNITY and c.event_from is not None:
        return maternity_supported(session, person_id, facts, c, c.received_on)
    if c.regime is Regime.LUMP_SUM:
        month = Period.of(c.received_on)
        return (still_contributing(si, month, paid_from(session, person_id, periods, month,
                                                        c.received_on))
                or pensioner(session, person_id)
                or _lump_sum_ground(session, person_id, c, si, periods, facts)
                or withdrawn(session, person_id, c.received_on))
    if c.regime is Regime.PENSION and c.event_from is not None:
        return (pension_due(session, person_id, facts, c, c.received_on)
                or still_working(session, person_id, Period.of(c.event_from), c.received_on))
    return []


def _lump_sum_ground(session: Session, person_id: int, c: Claim,
                     si: list[contributions.ParticipationRow],
                     periods: list[contributions.ParticipationRow],
                     facts: registry.PersonFacts) -> list[Problem]:
    """Grounds a) and e) of Law 41/2024 Art 70(1), checked against the record (FACTS §4.2):
    ``si`` the periods begun by the claim's month, ``periods`` all the person's."""
    if c.ground not in ("retirement_age", "before_2025_07"):
        return []  # b, c, d, f: the dossier's papers (passport and visa, medical board, ...)
    month = Period.of(c.received_on)

    def years() -> float:  # the book's count: assembled only when the cheaper checks pass
        return si_years(session, person_id, c.received_on)

    if c.ground == "retirement_age":
        reached = retirement_month(facts)
        if month <= reached:  # retired at the end of the month the age is reached
            return [Problem(field="ground", reason=(
                f"retirement age is reached in {reached}: ground a) applies from the month "
                "after it"))]
        if (paid := years()) >= (needed := pension_years(c.received_on).value):
            return [Problem(field="ground", reason=(
                f"{paid:.1f} years of SI: at {needed} or more a pension is due, not a "
                "one-time withdrawal (ground a)"))]
        return []
    # ground e) grandfathers SI paid before Law 41/2024
    if not any(p.from_month < LAW_41_2024_IN_FORCE for p in si):
        return [Problem(field="ground", reason=(
            "no SI before 2025-07: ground e) is for those who contributed before 1 July 2025"))]
    # A voluntary participant is outside SI from the month after the last one paid.
    voluntary = paid_from(session, person_id, periods, month - 12, c.received_on)
    if voluntary is not None or any(p.kind != "voluntary" and (
            p.to_month is None or p.to_month >= month - 12) for p in si):
        since = "" if voluntary is None else f" (voluntary SI paid through {voluntary})"
        return [Problem(field="ground", reason=(
            f"SI in the 12 months before {month}{since}: ground e) needs 12 months outside "
            "SI"))]
    if (paid := years()) >= 20:
        return [Problem(field="ground", reason=(
            f"{paid:.1f} years of SI: ground e) is for under 20 years"))]
    return []


def _pension_due_instead(session: Session, person_id: int, c: Claim,
                         facts: registry.PersonFacts, ended: Period) -> list[Problem]:
    """Unemployment benefit is not paid to someone who, leaving work, already qualifies for a
    pension: past retirement age with the years it needs (FACTS §4.6, §4.1)."""
    if ended <= retirement_month(facts):
        return []
    on = c.event_from or c.received_on
    if (paid := si_years(session, person_id, on)) < pension_years(on).value:
        return []
    return [Problem(field="regime", reason=(
        f"past retirement age with {paid:.1f} years of SI on {on.isoformat()}: a pension is "
        "due, and unemployment benefit is not paid to someone who qualifies for one"))]

