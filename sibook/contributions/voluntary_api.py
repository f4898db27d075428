"""HTTP adapter of voluntary SI payments: what a participant paid and the months it pays.

Clerks record payments, from the collector's or bank's receipt, for the persons in their scope
(never the payer: a claim must not buy SI months); a citizen reads their own, officers those in
their scope; defence and public-security persons stay absent outside their realm, and employers
have no part in it. The access policy decides and logs (``Guard.person``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.api.params import AsOfQuery, PersonalIdPath
from sibook.api.problems import CONFLICT
from sibook.contributions.api import PaymentIn, conflict
from sibook.contributions.payments import PaymentConflict
from sibook.contributions.voluntary_payments import post_voluntary_payment, voluntary_statement
from sibook.core.errors import ValidationError

router = APIRouter(tags=["contributions"])
Payer = Annotated[Guard, Depends(require(Action.VOLUNTARY_PAY))]
Reader = Annotated[Guard, Depends(require(Action.VOLUNTARY_READ))]
PATH = "/persons/{personal_id}/voluntary-payments"


class Allocated(BaseModel):
    month: str
    amount: int


class VoluntaryPaymentOut(BaseModel):
    payment_no: int
    amount: int
    reference: str
    paid_on: date
    # Written as the other routes write a moment (benefits, the book's versions): UTC as
    # +00:00, not pydantic's "Z" for a datetime.
    recorded_at: str = Field(description="When it was recorded: ISO 8601, UTC (+00:00)",
                             json_schema_extra={"format": "date-time"})
    allocated: list[Allocated] = Field(description="The months it pays, oldest first")


class VoluntaryPosted(VoluntaryPaymentOut):
    posted: bool
    personal_id: str
    credit: int = Field(description="Paid and not used by any month yet: pays the next months")
    replayed: bool = Field(description="The reference was posted before: this is that payment")


class VoluntaryMonthOut(BaseModel):
    month: str
    basis: int = Field(description="The declared monthly income")
    due: int | None = Field(description="What the participant pays for the month, the state's "
                                        "support taken off; null: the law tables cannot price it")
    paid: int
    status: str = Field(description="paid | partly_paid | unpaid | reported (before the law "
                                    "tables: as the record shows it)")


class VoluntarySummary(BaseModel):
    months: int
    paid: int
    partly_paid: int
    unpaid: int
    reported: int
    amount_paid: int
    credit: int


class VoluntaryStatement(BaseModel):
    personal_id: str
    as_of: date
    payments: list[VoluntaryPaymentOut]
    months: list[VoluntaryMonthOut]
    summary: VoluntarySummary


@router.post(PATH, response_model=VoluntaryPosted, status_code=status.HTTP_201_CREATED,
             responses=CONFLICT)
def post_voluntary(personal_id: PersonalIdPath, body: PaymentIn, g: Payer
                   ) -> dict[str, Any] | JSONResponse:
    """Record a voluntary participant's payment; it pays their oldest unpaid months first. The
    same reference twice is one payment; with another amount or date it is refused (409)."""
    person_id = g.person(personal_id)
    try:
        result = post_voluntary_payment(session=g.session, person_id=person_id,
                                        personal_id=personal_id, amount=body.amount,
                                        reference=body.reference, paid_on=body.paid_on)
    except PaymentConflict as exc:  # answered here: the 409 names the field that differs
        g.refuse(exc, "refused", (person_id,))
        return conflict(exc)
    except ValidationError as exc:  # its checks read the person's periods: logged as refused
        raise g.refuse(exc, "refused", (person_id,)) from None
    return {"posted": True, **result}


@router.get(PATH, response_model=VoluntaryStatement)
def voluntary_payments(personal_id: PersonalIdPath, g: Reader, as_of: AsOfQuery = None
                       ) -> dict[str, Any]:
    """The payments, each voluntary month's status (paid, partly paid, unpaid) and the credit."""
    person_id = g.person(personal_id)
    g.kept_by_the_ministry(person_id, "voluntary payments")  # their months, as the ledger
    return voluntary_statement(session=g.session, person_id=person_id, personal_id=personal_id,
                               as_of=as_of or date.today())
