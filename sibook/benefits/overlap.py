"""One event is claimed once, and one day of leave: a claim meeting one already received (not
refused) is refused naming the dossier it meets, which the person's clerk may read already; and
it is settled once: a claim meeting one already settled is refused when decided (two received
before these checks existed, or on a record corrected since, are not both paid). Both run
after ``lock_person``, so two at the same moment for one person take turns and the second sees
the first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.benefits.domain import (
    LEAVE_REGIMES,
    REFUSED,
    SETTLED,
    Claim,
    Decision,
    Regime,
    same_days_clash,
)
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.contributions import service as contributions
from sibook.core.errors import Problem
from sibook.core.period import Period

# A person retires once and dies once: a second pension or survivorship claim, whatever day it
# names, is the same event again (unless the first was refused).
ONCE = (Regime.PENSION, Regime.SURVIVORSHIP)


def overlapping(session: Session, person_id: int, c: Claim, *, settled: bool = False
                ) -> Problem | None:
    """The claim, not refused (``settled``: settled, as a decision checks), of the same event,
    named by its dossier: the same days of leave, accident or diagnosis, of this regime or of
    one paying the same day (``same_days_clash``, FACTS §4.3, §4.4); the same termination (no
    contract paid UI in a month after the earlier day named, up to the later: a second claim a
    day or a month apart would otherwise pay the same months of unemployment twice); for a
    pension or a death, any (a person retires once and dies once); for a regime without event
    dates, any claim. One event is paid once."""
    decided = select(BenefitDecision.claim_no).where(
        BenefitDecision.person_id == person_id,
        BenefitDecision.outcome == (SETTLED if settled else REFUSED))
    regimes = [str(r) for r in Regime if same_days_clash(r, c.regime)]
    among = BenefitClaim.claim_no.in_(decided) if settled else BenefitClaim.claim_no.not_in(decided)
    rows = session.scalars(select(BenefitClaim).where(
        BenefitClaim.person_id == person_id, BenefitClaim.regime.in_(regimes), among)
        .order_by(BenefitClaim.claim_no)).all()
    again = _settled if settled else _received
    ui = (contributions.ui_periods_of(session=session, person_id=person_id)
          if rows and c.regime is Regime.UNEMPLOYMENT else [])
    field = "event_from" if c.event_from else "regime"
    for r in rows:
        if r.regime == c.regime and c.regime in ONCE:
            return again(r.dossier_no, field, f"this {c.regime} for the same person")
        if c.event_from is None or r.event_from is None:
            if r.regime != c.regime or c.regime is Regime.LUMP_SUM:
                continue  # after a withdrawal, new months may be withdrawn again
            return again(r.dossier_no, field, f"this {c.regime} for the same person")
        if c.regime is Regime.UNEMPLOYMENT:
            lo, hi = sorted((Period.of(c.event_from), Period.of(r.event_from)))
            if not any(u.from_month <= hi and (u.to_month is None or u.to_month > lo)
                       for u in ui):  # no month of UI after the earlier day, to the later
                return again(r.dossier_no, field, (
                    f"this {c.regime} for the same termination (no contract paid UI between "
                    "the two days)"))
            continue
        if (c.event_from <= (r.event_to or r.event_from)
                and r.event_from <= (c.event_to or c.event_from)):
            # The end of this claim that falls in the other's days: its start, else its end.
            end = "event_from" if r.event_from <= c.event_from else "event_to"
            if r.regime == c.regime:
                return again(r.dossier_no, end, f"this {c.regime} for the same days")
            return again(r.dossier_no, end, (
                f"{r.regime} for days this {c.regime} claim takes too: one benefit pays a day "
                "(FACTS §4.3, §4.4; no sick pay for a work accident, Law 41/2024 Art 42(1))"))
    return None


def settled_once(session: Session, person_id: int, c: Claim, d: Decision) -> list[Problem]:
    """A decision settling ``c`` when a claim of the same event or days is settled already is
    refused (``overlapping`` against the settled): of two received side by side, the first
    settled is paid. ``decide`` holds the person's lock, so a second settlement at the same
    moment waits for the first, then sees it."""
    if d.outcome != SETTLED:
        return []
    clash = overlapping(session, person_id, c, settled=True)
    return [] if clash is None else [clash]


def after_death(session: Session, person_id: int, c: Claim, from_month: Period | None = None
                ) -> list[Problem]:
    """A survivorship claim (not refused) names the person's death: no claim of theirs begins
    after it (its event, else the day received; a withdrawal the person claimed alive is
    theirs), and no leave lasts past it (a sick or maternity leave is the person's days of
    leave, Law 41/2024 Arts 42, 50: none after the death). What began before it may still be
    claimed by the survivors (a sick leave, a month of pension due). Checked when a claim is
    received and again when it is settled: a claim received before the death was recorded is
    not paid for days after it, and a decision's monthly benefit (``from_month``) is paid up
    to the month of the death, not from a month after it."""
    if c.regime is Regime.SURVIVORSHIP:
        return []
    refused = select(BenefitDecision.claim_no).where(
        BenefitDecision.person_id == person_id, BenefitDecision.outcome == REFUSED)
    row = session.execute(select(BenefitClaim.event_from, BenefitClaim.dossier_no).where(
        BenefitClaim.person_id == person_id,
        BenefitClaim.regime == str(Regime.SURVIVORSHIP),
        BenefitClaim.event_from.is_not(None),
        BenefitClaim.claim_no.not_in(refused)).order_by(BenefitClaim.event_from)).first()
    if row is None:
        return []
    died: date = row[0]
    death = f"the person's death on {died.isoformat()} (dossier {row[1]})"
    day, field = (c.event_from, "event_from") if c.event_from else (c.received_on, "received_on")
    if day > died:
        return [Problem(field=field, reason=(
            f"{day.isoformat()} is after {death}: no benefit of theirs begins after it"))]
    if c.regime in LEAVE_REGIMES and c.event_to is not None and c.event_to > died:
        return [Problem(field="event_to", reason=(
            f"{c.event_to.isoformat()} is after {death}: a leave ends with it at the latest"))]
    if from_month is not None and from_month > Period.of(died):
        return [Problem(field="from_month", reason=(
            f"{from_month} is after {death}: a monthly benefit of theirs is paid up to the "
            "month of the death at the latest"))]
    return []


def _received(dossier: str, field: str, what: str) -> Problem:
    """A claim refused for one already received (the person's own, which its clerk may read)."""
    return Problem(field=field, reason=(
        f"dossier {dossier} already claims {what}; it is settled or being decided once"))


def _settled(dossier: str, field: str, what: str) -> Problem:
    """A claim not settled for one settled already: refusing it is the decision left."""
    return Problem(field=field, reason=(
        f"dossier {dossier} already claims {what}, and it is settled: this one may only be "
        "refused"))
