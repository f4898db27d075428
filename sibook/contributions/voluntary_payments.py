"""Posting a voluntary participant's payment, and their account: the payments and the months
they pay.

A voluntary participant pays for themself, monthly, every 3, 6 or 12 months, or years ahead
(Law 41/2024/QH15 Art 36(2); FACTS §3.4). Each payment is recorded once, under its reference;
the months it pays are computed when read (``contributions.voluntary``), each month priced as
the book's sheet rows price it (``book.service.voluntary_account``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sibook.book import service as book
from sibook.contributions.ledger_store import VoluntaryPayment
from sibook.contributions.payments import checked_payment, same_payment
from sibook.contributions.store import SIPeriod
from sibook.contributions.voluntary import VOLUNTARY_START_AHEAD, Account
from sibook.core.errors import ValidationError
from sibook.core.moments import stamped
from sibook.core.period import Period
from sibook.registry.store import Person


def post_voluntary_payment(
    *,
    session: Session,
    person_id: int,
    personal_id: str,
    amount: int,
    reference: str,
    paid_on: date,
    today: date | None = None,
) -> dict[str, Any]:
    """Record a payment once: the same reference again (in either letter case) answers the
    first result and changes nothing; with another amount or date it is refused. A payment is
    for a voluntary period open on the day it was paid, one running or registered to start
    later (paid ahead, at the price of the month paid in: Law 41/2024/QH15 Art 36(2)), though
    it may be recorded after the period ended; one paid once every period had ended has no
    month to pay and is refused, naming the month the last one ended (before, it was taken as
    credit that no month would use). A payment dated before the participant could have
    joined is refused: a start is asked for at most VOLUNTARY_START_AHEAD months ahead, so a
    payment made at registration for a later start is taken, and one dated earlier is not.
    The day of registration itself is not stored, so this is the bound."""
    day = today or date.today()
    stored = checked_payment(amount=amount, reference=reference, paid_on=paid_on, today=day,
                             what="the payment reference")
    periods = _lock_voluntary_periods(session, person_id)
    key = stored.upper()
    earlier = session.scalars(select(VoluntaryPayment).where(
        VoluntaryPayment.person_id == person_id,
        VoluntaryPayment.idempotency_key == key)).one_or_none()
    if earlier is not None:  # a replay answers as the first did, whatever ended since
        same_payment(earlier.amount, earlier.paid_on, amount, paid_on, reason=(
            f"reference {earlier.reference} was already posted for {personal_id} with "
            f"{earlier.amount:,} VND paid on {earlier.paid_on.isoformat()}"))
        return _answer(session, personal_id, earlier, day, replayed=True)
    first = _open_period_start(periods, personal_id, paid_on)
    earliest = (first - VOLUNTARY_START_AHEAD).first_day
    if paid_on < earliest:
        raise ValidationError(field="paid_on", reason=(
            f"{paid_on.isoformat()} is before {personal_id} could have joined voluntary SI "
            f"(their participation starts in {first}, asked for at most "
            f"{VOLUNTARY_START_AHEAD} months ahead: from {earliest.isoformat()})"))
    number = 1 + (session.scalar(select(func.max(VoluntaryPayment.payment_no))
                                 .where(VoluntaryPayment.person_id == person_id)) or 0)
    session.execute(insert(VoluntaryPayment).values(
        person_id=person_id, payment_no=number, amount=amount, reference=stored,
        idempotency_key=key, paid_on=paid_on))
    posted = session.get_one(VoluntaryPayment, (person_id, number))
    return _answer(session, personal_id, posted, day, replayed=False)


def voluntary_statement(*, session: Session, person_id: int, personal_id: str, as_of: date
                        ) -> dict[str, Any]:
    """The person's voluntary payments and months as of ``as_of``: what each payment paid,
    each month's status, and the credit carried to the next months."""
    account = book.voluntary_account(session=session, person_id=person_id, as_of=as_of)
    rows = session.scalars(select(VoluntaryPayment)
                           .where(VoluntaryPayment.person_id == person_id,
                                  VoluntaryPayment.paid_on <= as_of)
                           .order_by(VoluntaryPayment.paid_on, VoluntaryPayment.payment_no))
    return {
        "personal_id": personal_id,
        "as_of": as_of.isoformat(),
        "payments": [_payment(r, account) for r in rows],
        "months": [{"month": str(m.month), "basis": m.charge.basis, "due": m.due, "paid": m.paid,
                    "status": m.status} for m in account.months],
        "summary": {"months": len(account.months),
                    **{s: sum(1 for m in account.months if m.status == s)
                       for s in ("paid", "partly_paid", "unpaid", "reported")},
                    "amount_paid": account.paid, "credit": account.credit},
    }


def _open_period_start(periods: list[SIPeriod], personal_id: str, paid_on: date) -> Period:
    """The first month of the earliest voluntary period open on ``paid_on`` (running,
    registered to start later, or ended in or after that month); refused on ``personal_id``
    when the person never joined or every period had ended by then. An ended period leaves no
    month to pay: its months were paid in their windows or not at all (Law 41/2024/QH15 Art
    36(3)); its participant took a job, compulsory SI from then (Art 2(1); the period's
    ``closed_by`` names the employer's case code), or a pension or a one-time withdrawal was
    settled (``end_voluntary_period``), and a pensioner does not contribute voluntarily (Art
    2(4)(a)). To pay again they register the participation again, as one who stopped paying
    did under Decision 595/QD-BHXH Art 11(3) ("phải đăng ký lại", as ketoanexcel.org quotes
    it; provisional for Law 41/2024)."""
    if not periods:
        raise ValidationError(field="personal_id", reason=(
            f"{personal_id} has no voluntary SI period: register the voluntary participation "
            "first"))
    month = Period.of(paid_on).index
    open_then = [p.from_month for p in periods if p.to_month is None or p.to_month >= month]
    if open_then:
        return Period.from_index(min(open_then))
    last = max(periods, key=lambda p: p.to_month or 0)
    by = (f", when an employer's {last.closed_by} took them into compulsory SI"
          if last.closed_by else "")
    raise ValidationError(field="personal_id", reason=(
        f"{personal_id} had no open voluntary SI period on {paid_on.isoformat()} (the last "
        f"ended in {Period.from_index(last.to_month or last.from_month)}{by}): a voluntary "
        "payment pays the months of an open participation, or of one registered to start "
        "later (Law 41/2024/QH15 Art 36); register the voluntary participation again first"))


def _lock_voluntary_periods(session: Session, person_id: int) -> list[SIPeriod]:
    """The person's voluntary periods, none if they never joined voluntary SI; the rows are
    locked (PostgreSQL) so that two postings for one person
    take their numbers one after the other (SQLite's writer lock already serialises them).

    The person's row first, as a settlement locks it (``benefits.settlement``) before ending
    the voluntary period: locked after the periods, a payment holding them met the settlement
    holding the row when its own insert checked the row (its foreign key), a deadlock. FOR NO
    KEY UPDATE: it waits for a settlement's FOR UPDATE, not for a filing's foreign-key checks
    (KEY SHARE), which meet the payment at the periods as before."""
    session.scalars(select(Person.person_id).where(Person.person_id == person_id)
                    .with_for_update(key_share=True)).one()
    return list(session.scalars(select(SIPeriod).where(
        SIPeriod.person_id == person_id, SIPeriod.kind == "voluntary")
        .order_by(SIPeriod.seq).with_for_update()).all())


def _answer(session: Session, personal_id: str, row: VoluntaryPayment, today: date, *,
            replayed: bool) -> dict[str, Any]:
    account = book.voluntary_account(session=session, person_id=row.person_id, as_of=today)
    return {"personal_id": personal_id, **_payment(row, account), "credit": account.credit,
            "replayed": replayed}


def _payment(row: VoluntaryPayment, account: Account) -> dict[str, Any]:
    return {"payment_no": row.payment_no, "amount": row.amount, "reference": row.reference,
            "paid_on": row.paid_on.isoformat(), "recorded_at": stamped(row.recorded_at),
            "allocated": [{"month": str(month), "amount": paid}
                          for month, paid in account.allocated_by(row.payment_no)]}
