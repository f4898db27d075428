"""Posting a voluntary participant's payment, and their account: the payments and the months
they pay.

A voluntary participant pays for themself, monthly, every 3, 6 or 12 months, or years ahead
(Law 41/2024/QH15 Art 36(2); FACTS §3.4). Each payment is recorded once, under its reference;
the months it pays are computed when read (``contributions.voluntary``), each month priced as
the book's sheet rows price it (``book.service.voluntary_account``).
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sibook.book import service as book
from sibook.contributions.ledger_store import VoluntaryPayment
from sibook.contributions.payments import checked_payment, same_payment
from sibook.contributions.store import SIPeriod
from sibook.contributions.voluntary import VOLUNTARY_START_AHEAD, Account
from sibook.core.errors import ValidationError
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
    first result and changes nothing; with another amount or date it is refused. A payment
    dated before the participant could have joined is refused: a start is asked for at most
    VOLUNTARY_START_AHEAD months ahead, so a payment made at registration for a later start
    (paying ahead, at the price of the month paid in) is taken, and one dated earlier is not.
    The day of registration itself is not stored, so this is the bound."""
    day = today or date.today()
    stored = checked_payment(amount=amount, reference=reference, paid_on=paid_on, today=day,
                             what="the payment reference")
    starts = _lock_voluntary_periods(session, person_id)
    if not starts:
        raise ValidationError(field="personal_id", reason=(
            f"{personal_id} has no voluntary SI period: register the voluntary participation "
            "first"))
    key = stored.upper()
    earlier = session.scalars(select(VoluntaryPayment).where(
        VoluntaryPayment.person_id == person_id,
        VoluntaryPayment.idempotency_key == key)).one_or_none()
    if earlier is not None:
        same_payment(earlier.amount, earlier.paid_on, amount, paid_on, reason=(
            f"reference {earlier.reference} was already posted for {personal_id} with "
            f"{earlier.amount:,} VND paid on {earlier.paid_on.isoformat()}"))
        return _answer(session, personal_id, earlier, day, replayed=True)
    first = Period.from_index(min(starts))
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


def _lock_voluntary_periods(session: Session, person_id: int) -> list[int]:
    """The first months (``Period.index``) of the person's voluntary periods, none if they never
    joined voluntary SI; the rows are locked (PostgreSQL) so that two postings for one person
    take their numbers one after the other (SQLite's writer lock already serialises them).

    The person's row first, as a settlement locks it (``benefits.settlement``) before ending
    the voluntary period: locked after the periods, a payment holding them met the settlement
    holding the row when its own insert checked the row (its foreign key), a deadlock. FOR NO
    KEY UPDATE: it waits for a settlement's FOR UPDATE, not for a filing's foreign-key checks
    (KEY SHARE), which meet the payment at the periods as before."""
    session.scalars(select(Person.person_id).where(Person.person_id == person_id)
                    .with_for_update(key_share=True)).one()
    return list(session.scalars(select(SIPeriod.from_month).where(
        SIPeriod.person_id == person_id, SIPeriod.kind == "voluntary").with_for_update()).all())


def _answer(session: Session, personal_id: str, row: VoluntaryPayment, today: date, *,
            replayed: bool) -> dict[str, Any]:
    account = book.voluntary_account(session=session, person_id=row.person_id, as_of=today)
    return {"personal_id": personal_id, **_payment(row, account), "credit": account.credit,
            "replayed": replayed}


def _payment(row: VoluntaryPayment, account: Account) -> dict[str, Any]:
    # SQLite hands back the UTC timestamp it stored without its zone; PostgreSQL's is told
    # in its session's zone: +00:00 either way.
    at = (row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
          ).astimezone(UTC)
    return {"payment_no": row.payment_no, "amount": row.amount, "reference": row.reference,
            "paid_on": row.paid_on.isoformat(), "recorded_at": at.isoformat(),
            "allocated": [{"month": str(month), "amount": paid}
                          for month, paid in account.allocated_by(row.payment_no)]}
