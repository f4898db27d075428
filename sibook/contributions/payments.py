"""Posting an employer's remittance (with its bank reference) and allocating it."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sibook.access import details
from sibook.contributions import ledger
from sibook.contributions.ledger_store import Payment
from sibook.contributions.reached import workers_in
from sibook.contributions.service import first_insured
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.registry.domain import text_problem

MAX_PAYMENT = 1_000_000_000_000  # input sanity bound (1,000 billion VND), not a law value
REFERENCE_MAX = 40  # characters: the width of the payments' reference and key columns

# Remittances into the SI fund as it is run now began with the SI Charter (Decree 12/CP),
# in force from 1 January 1995; service before it was funded by the state budget (hence the
# law's split at 1/1/1995, FACTS §4.1). A payment dated earlier is a typing error.
FIRST_PAYMENT_DAY = date(1995, 1, 1)


class PaymentConflict(ConflictError):
    """The reference was posted before with another amount or date: ``field`` says which."""

    field: str

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def same_payment(amount: int, paid_on: date, again_amount: int, again_paid_on: date, *,
                 reason: str) -> None:
    """A reference posted again must come with its first amount and date: refused otherwise,
    naming the field that differs."""
    for field, was, given in (("amount", amount, again_amount),
                              ("paid_on", paid_on, again_paid_on)):
        if was != given:
            raise PaymentConflict(field, reason)


def checked_payment(*, amount: int, reference: str, paid_on: date, today: date | None = None,
                    what: str = "the bank reference") -> str:
    """The reference of a payment as it is stored (trimmed), once the payment's amount,
    reference and date are possible; refused naming the field otherwise. ``what`` names the
    reference in the reason."""
    if not 0 < amount <= MAX_PAYMENT:
        raise ValidationError(field="amount", reason=f"must be 1..{MAX_PAYMENT:,} VND")
    trimmed = reference.strip()
    # Shown on every statement: no NUL or line break, as for names.
    problem = "must not be empty" if not trimmed else text_problem(trimmed, REFERENCE_MAX)
    if not problem and len(trimmed.upper()) > REFERENCE_MAX:
        # References are compared in capitals, and some letters grow ('ß' is 'SS'): the key
        # kept in capitals must fit its column as the reference does.
        problem = (f"is {len(trimmed.upper())} characters long in capitals, as references are "
                   f"compared ('ß' is 'SS'); at most {REFERENCE_MAX}")
    if problem:
        raise ValidationError(field="reference", reason=f"{what} {problem}")
    if paid_on > (today or date.today()):
        raise ValidationError(field="paid_on", reason=f"{paid_on.isoformat()} is in the future")
    if paid_on < FIRST_PAYMENT_DAY:
        raise ValidationError(field="paid_on", reason=f"{paid_on.isoformat()} is before social "
                              f"insurance began ({FIRST_PAYMENT_DAY.isoformat()})")
    return trimmed


def _not_before_the_unit(session: Session, employer_id: int, code: str, paid_on: date) -> None:
    """A remittance dated before the unit had anything to pay is a mistyped date (2016 for 2026):
    allocated by that date it would pay every month on time and lower the late interest owed.
    The month before the first worker's is taken: a unit may pay ahead for the month they start.
    A unit with no worker yet takes any date (its payment waits as credit)."""
    first = first_insured(session=session, employer_id=employer_id)
    if first is not None and paid_on < (first - 1).first_day:
        raise ValidationError(field="paid_on", reason=(
            f"{paid_on.isoformat()} is before {code} had contributions to pay: its first worker "
            f"was insured in {first}, so a remittance of its is dated from "
            f"{(first - 1).first_day.isoformat()} on"))


class Posted(NamedTuple):
    """A payment's answer, and the persons whose books it changed: the unit's workers in the
    months whose money it changed, paid by it or moved to other money (none for a reference
    posted before, which changes nothing), for the access log."""

    answer: dict[str, Any]
    person_ids: list[int]

    @property
    def detail(self) -> str:
        """What the access log says the entry of these persons was about: the unit, the
        payment and the months it paid (``access.details.unit_paid``)."""
        a = self.answer
        return details.unit_paid(a["employer"], a["payment_id"], a["paid_on"],
                                 (paid["month"] for paid in a["allocated"]))


def post_payment(*, session: Session, employer_code: str, amount: int, bank_reference: str,
                 paid_on: date, today: date | None = None) -> dict[str, Any]:
    """``post``'s answer alone."""
    return post(session=session, employer_code=employer_code, amount=amount,
                bank_reference=bank_reference, paid_on=paid_on, today=today).answer


def post(
    *,
    session: Session,
    employer_code: str,
    amount: int,
    bank_reference: str,
    paid_on: date | None,
    today: date | None = None,
) -> Posted:
    """Post a payment once: the same bank reference again answers the first result.
    ``paid_on`` None (a command given no date): today, and a reference posted before, on any
    day, is that payment again (a command run again the next day, its answer lost)."""
    day = paid_on or today or date.today()
    reference = checked_payment(amount=amount, reference=bank_reference, paid_on=day,
                                today=today)
    employer = registry.employer_by_code(session=session, code=employer_code, lock=True)
    conn = session.connection()
    # Banks print a transaction reference in either case: "vcb-0001" is VCB-0001 again, and
    # posting it twice would double the payment.
    key = f"{employer.code}:{reference.upper()}"
    earlier = conn.execute(select(Payment).where(Payment.idempotency_key == key)).first()
    if earlier is not None:
        same_payment(earlier.amount, earlier.paid_on, amount, paid_on or earlier.paid_on, reason=(
            f"bank reference {reference} was already posted for {employer.code} with "
            f"{earlier.amount:,} VND on {earlier.paid_on.isoformat()}"))
        return Posted({  # that payment as the ledger holds it: its reference and allocations
            "payment_id": earlier.payment_id,
            "employer": employer.code,
            "amount": earlier.amount,
            "reference": earlier.bank_reference,
            "paid_on": earlier.paid_on.isoformat(),
            "allocated": [{"month": str(Period.from_index(period)), "amount": total}
                          for period, total in ledger.allocated_by_payment(
                              conn, earlier.payment_id)],
            "credit": ledger.credit(conn, employer.employer_id),
            "replayed": True,
        }, [])
    _not_before_the_unit(session, employer.employer_id, employer.code, day)
    payment_id = int(
        conn.execute(
            insert(Payment)
            .values(
                employer_id=employer.employer_id,
                amount=amount,
                bank_reference=reference,
                paid_on=day,
                idempotency_key=key,
            )
            .returning(Payment.payment_id)
        ).scalar_one()
    )
    allocations = ledger.allocate(conn, employer.employer_id)
    return Posted({
        "payment_id": payment_id,
        "employer": employer.code,
        "amount": amount,
        "reference": reference,
        "paid_on": day.isoformat(),
        "allocated": [
            {"month": str(Period.from_index(a.period)), "amount": a.amount}
            for a in allocations
            if a.payment_id == payment_id
        ],
        "credit": ledger.credit(conn, employer.employer_id),  # what no dues have used yet
        "replayed": False,
    }, workers_in(session=session, employer_id=employer.employer_id,
                  months=[a.period for a in allocations]))
