"""The contributions answers as the API documents them: a filing, an employer's payment, the
employer's and the person's ledger.

The answers themselves are built by the services (``declare``, ``post_payment``, ``queries``)
as plain dicts and sent as they are; these models only describe them in the OpenAPI contract
(and type ``JobOut.result``). ``extra="forbid"`` everywhere, and a test validates the ledgers of
a seeded database (arrears, evasion, late interest, voluntary months, an employer's view)
against them, so a key added to an answer without being described here fails the suite.

Money is in whole VND (integers). Months are ``YYYY-MM``, days ``YYYY-MM-DD``. Fields typed
``X | None = None`` with "absent" in their description are left out of the JSON when they do not
apply; the others are always present, ``null`` where the description says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sibook.api.rules import FundShares  # the same per-fund shares the rules and the book answer

MONTH = r"^\d{4}-\d{2}$"
DAY = r"^\d{4}-\d{2}-\d{2}$"
SHA256 = r"^[0-9a-f]{64}$"
CaseCode = Literal["TM", "TD", "TC", "TT", "DC", "GH", "KL", "OF", "TS"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# POST /employers/{code}/declarations (201) and a declaration job's result


class DeclarationAnswer(_Strict):
    """A monthly list (D02-LT) filed: what it changed and the dues it posted. Filing the same
    content again (same employer, month and batch) answers the first filing's answer with
    ``replayed`` true and changes nothing."""

    accepted: Literal[True]
    declaration_id: int = Field(description="The filing's id; a replay names the first filing")
    employer: str = Field(description="The unit's enterprise code")
    month: str = Field(pattern=MONTH, description="The month the list was filed for (YYYY-MM)")
    batch: int = Field(ge=1, description="The batch (đợt) of the month")
    lines: int = Field(description="Lines read from the file")
    format: Literal["csv", "xlsx", "json"]
    content_hash: str = Field(pattern=SHA256, description="SHA-256 of the file's bytes (hex)")
    case_codes: dict[CaseCode, int] = Field(
        description="Lines per case code (phương án); only the codes the file used")
    periods_closed: int = Field(description="Participation periods the filing closed")
    periods_opened: int = Field(description="Participation periods the filing opened")
    hi_cards_issued: int = Field(description="Health-insurance cards issued to workers taken on")
    dues: dict[str, int] = Field(
        description="Per month (YYYY-MM keys), the change of the employer's dues the filing "
                    "posted, integer VND (negative where a back-dated change lowered them); "
                    "months whose dues did not change are not listed")
    replayed: bool = Field(description="true: this content was filed before; nothing changed "
                                       "and the first filing's answer is repeated")


# POST /employers/{code}/payments (201)


class EmployerPaymentAllocation(_Strict):
    month: str = Field(pattern=MONTH, description="The contribution month paid (YYYY-MM)")
    amount: int = Field(description="Integer VND; negative where dues corrected below what was "
                                    "paid gave the excess back as credit")


class EmployerPaymentAnswer(_Strict):
    """A remittance posted from the bank's statement and the months it paid. The same bank
    reference again (any case) is the same payment: ``replayed`` true, nothing posted."""

    posted: Literal[True]
    payment_id: int
    employer: str = Field(description="The unit's enterprise code")
    amount: int = Field(description="The remittance, integer VND")
    reference: str = Field(description="The bank transaction reference as first posted")
    paid_on: str = Field(pattern=DAY)
    allocated: list[EmployerPaymentAllocation] = Field(
        description="The months this payment paid, oldest first. On a replay: what the payment "
                    "has paid by now, one entry per month")
    credit: int = Field(description="The employer's money, integer VND, that no dues have used "
                                    "yet (all payments, not this one only): it pays the next "
                                    "dues first")
    replayed: bool = Field(description="true: the reference was posted before; this is that "
                                       "payment")


# GET /employers/{code}/ledger (200)


class EmployerLedgerMonth(_Strict):
    """One contribution month of the unit (all its workers). Amounts are integer VND."""

    month: str = Field(pattern=MONTH)
    due: int = Field(description="The month's dues as assessed from the declarations")
    paid: int = Field(description="Payments allocated to the month, made by as_of")
    outstanding: int = Field(description="due - paid, never below 0")
    deadline: str = Field(pattern=DAY, description="Last day to pay the month without interest: "
                                                   "the last day of the month after it from "
                                                   "2025-07 (Law 41/2024 Art 34(4)), of the "
                                                   "month itself before; for a unit paying "
                                                   "every 3 or 6 months, after (before 2025-07: "
                                                   "at) the end of the month's cycle")
    days_late: int = Field(description="Days past the deadline the month is (or was, until paid "
                                       "in full); 0 when paid in time or not yet due")
    interest: int = Field(description="Late-payment interest accrued on the month by as_of, "
                                      "each stretch late by the rule then in force: 0.03% a "
                                      "day from 2025-07 (Law 41/2024 Art 40), Law 58/2014 Art "
                                      "122(3)'s monthly charge before where the law tables "
                                      "price it (see notes)")
    evasion: bool = Field(description="The month was (or is) still not paid in full on the first "
                                      "day counted as evasion; stays true once paid; false "
                                      "where the law tables have no evasion rule (see notes)")
    status: Literal["paid", "partly_paid", "unpaid"]
    below_minimum: int = Field(description="Workers whose declared salary is below the "
                                           "month's regional minimum (raised since it was "
                                           "declared): see /employers/{code}/below-minimum")


class EmployerLedgerTotals(_Strict):
    """Sums over the months, integer VND."""

    due: int
    paid: int
    outstanding: int
    interest: int
    months_in_evasion: int = Field(description="Months in evasion and still not paid in full")
    credit: int = Field(description="Paid by as_of and not used by any dues yet")


class EmployerLedger(_Strict):
    """A unit's dues, payments, late interest and evasion per month, as of a day."""

    employer: str = Field(description="The unit's enterprise code")
    as_of: str = Field(pattern=DAY)
    months: list[EmployerLedgerMonth] = Field(description="Every month with dues, oldest first")
    totals: EmployerLedgerTotals
    notes: list[str] = Field(description="What the law tables could not work out, in words: "
                                         "months late no interest rule prices (charged "
                                         "nothing), evasion where no rule judges it")


# GET /employers/{code}/below-minimum (200)


class UnderpaidWorker(_Strict):
    personal_id: str
    full_name: str | None = Field(description=(
        "The worker's name; to the unit, of one who has since left it, as recorded while they "
        "worked for it (the book version of then), null when nothing was recorded then"))
    salary: int = Field(description="The salary declared, VND (allowances not counted)")
    minimum: int = Field(description="The month's regional minimum, VND")
    shortfall: int = Field(description="minimum - salary")


class BelowMinimum(_Strict):
    """The unit's workers paid below the regional minimum in a month: the minimum was raised
    after their pay was declared. The dues stay those of the pay declared; the employer files
    an adjustment (DC). Declaring pay below the minimum counts as evasion from ``evasion_from``
    (the last day of the month after, or after its cycle for a unit paying every 3 or 6
    months)."""

    employer: str
    month: str = Field(pattern=MONTH)
    region: str
    minimum: int | None = Field(description="The month's regional minimum; null before the "
                                            "law tables begin")
    evasion_from: str = Field(pattern=DAY)
    workers: list[UnderpaidWorker] = Field(description="By personal ID")


# GET /persons/{personal_id}/ledger (200)

Status = Literal["paid", "partly_paid", "unpaid", "reported"]


class PersonLedgerEmployedMonth(_Strict):
    """A month worked for an employer (compulsory, or a foreign employee). Its status is the
    employer's month's: the worker's share was withheld from pay, the employer pays it."""

    month: str = Field(pattern=MONTH)
    kind: Literal["compulsory", "foreign"]
    employer: str = Field(description="The employer's enterprise code")
    basis: int = Field(description="Salary plus allowances, integer VND a month")
    employer_share: FundShares | None = Field(description="The employer's share of the month, "
                                                          "integer VND per fund; null when no "
                                                          "law table prices the month")
    employee_share: FundShares | None = Field(description="The worker's share; null when no law "
                                                          "table prices the month")
    status: Status = Field(description="The employer's month: paid, partly_paid, unpaid, or "
                                       "reported (not assessed in the ledger, e.g. before it)")
    deducted_not_remitted: bool = Field(description="The worker's share was withheld and the "
                                                    "employer's month is unpaid past its "
                                                    "deadline")
    employer_month_due: int | None = Field(description="The employer's whole month, all "
                                                       "workers, integer VND; null when reported")
    employer_month_paid: int | None = Field(description="Paid of it by as_of; null when "
                                                        "reported")
    due: None = Field(description="Always null: a voluntary month's own amount")
    paid: None = Field(description="Always null: a voluntary month's own amount")
    employer_days_late: int | None = Field(
        description="Days after its deadline the employer paid the month in full, or, not yet "
                    "paid in full, the days from the deadline to as_of (the employer ledger's "
                    "days_late of the month); 0 when paid in time or not yet due; null when "
                    "reported (the ledger does not assess the month). FACTS §3.7: Decision "
                    "241/QD-BTC makes the employer's late-payment history shareable")


class PersonLedgerVoluntaryMonth(_Strict):
    """A month of voluntary SI, which the participant pays themself (never shown to an
    employer)."""

    month: str = Field(pattern=MONTH)
    kind: Literal["voluntary"]
    employer: None = Field(description="Always null")
    basis: int = Field(description="The declared monthly income, integer VND")
    employer_share: None = Field(description="Always null: no employer")
    employee_share: FundShares | None = Field(
        description="What the participant pays for the month at its own price, the state's "
                    "support taken off, integer VND per fund; null when the law tables cannot "
                    "price it (before they begin, or an income outside the law's range)")
    status: Status = Field(description="paid, partly_paid, unpaid, or reported (before the law "
                                       "tables: as the record shows it, counted)")
    deducted_not_remitted: Literal[False]
    employer_month_due: None = Field(description="Always null")
    employer_month_paid: None = Field(description="Always null")
    due: int | None = Field(description="What the month costs the participant, integer VND: "
                                        "its own price, or the price when it was paid ahead; "
                                        "null when the law tables cannot price it")
    paid: int | None = Field(description="What the participant's payments made by as_of paid "
                                         "of it; null where due is null (nothing was asked)")
    employer_days_late: None = Field(description="Always null: no employer")


class PersonLedgerSummary(_Strict):
    """Counts over all the person's months (the employer's only, in its view), whatever
    ``from`` leaves out of ``months``."""

    months: int
    paid: int
    partly_paid: int
    unpaid: int
    reported: int
    months_deducted_not_remitted: int
    months_employer_late: int = Field(
        description="Months the employer paid late or has not paid past their deadline "
                    "(employer_days_late above 0): Decision 241/QD-BTC's 'total months of "
                    "employer late payment'")
    voluntary_credit: int | None = Field(
        None, description="Voluntary payments not used by any month yet, integer VND; absent in "
                          "an employer's view")


class PersonLedger(_Strict):
    """A person's months, oldest first: paid, partly paid, unpaid or reported. An employer sees
    only the months worked for it, with no voluntary months and no ``voluntary_credit``."""

    personal_id: str = Field(description="12-digit personal identification number")
    as_of: str = Field(pattern=DAY)
    months: list[PersonLedgerEmployedMonth | PersonLedgerVoluntaryMonth] = Field(
        description="Months up to as_of's month, from the month given as ``from`` if any")
    summary: PersonLedgerSummary
