"""The book's JSON as the API documents it (``GET /api/v1/books/{personal_id}``).

The payload itself is built by ``assemble`` as plain dicts and hashed as such; these models only
describe it in the OpenAPI contract. ``extra="forbid"`` everywhere, and a test validates seeded
books of every kind (compulsory, voluntary, with benefits, restricted) against them, so a key
added to the book without being described here fails the suite.

Fields typed ``X | None = None`` with "absent" in their description are left out of the JSON
when they do not apply (the content hash covers exactly what is there); the others are always
present, ``null`` where the description says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sibook.api.rules import FundShares  # the same per-fund shares the rules answer
from sibook.benefits.domain import Regime

MONTH = r"^\d{4}-\d{2}$"
DAY = r"^\d{4}-\d{2}-\d{2}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BookHeader(_Strict):
    personal_id: str = Field(description="12-digit personal identification number")
    legacy_si_code: str | None = Field(description="The 10-digit SI code used before the "
                                                   "personal ID replaced it, or null")
    full_name: str
    birth_date: str = Field(pattern=DAY)
    sex: Literal["male", "female"]
    nationality: str = Field(description="ISO 3166-1 alpha-2 code, e.g. VN")
    realm: Literal["civil", "defence", "public_security"]


class BookOwedMonth(_Strict):
    month: str = Field(pattern=MONTH)
    status: Literal["unpaid", "partly_paid"]
    due: int | None = Field(description="null: the law cannot price the month at the declared "
                                        "income")
    paid: int


class BookSheetRow(_Strict):
    """Consecutive months with the same employer, job, salary basis, allowances and amounts."""

    from_: str = Field(alias="from", pattern=MONTH)
    to: str | None = Field(pattern=MONTH, description="Last month; null while ongoing")
    months: int
    kind: Literal["compulsory", "foreign", "voluntary", "maternity"] = Field(description=(
        "maternity: months of maternity leave after the employer declared TS, counted as "
        "contributed with nothing due (amounts 0)"))
    employer_code: str | None = Field(description="null for voluntary months")
    employer_name: str | None
    job_title: str | None
    salary_basis: int = Field(description="VND a month (declared income when voluntary)")
    allowances: int
    employer: FundShares | None = Field(description="The employer's share a month; null when "
                                                "voluntary or no law table prices the month")
    employee: FundShares | None = Field(description="The worker's (or participant's) share a "
                                                "month; null when no law table prices it")
    state_scale: bool | None = Field(
        None, description="true when the unit paid these months by the state's salary scale "
                          "(a state agency or public unit); absent when the employer set the "
                          "pay. A pension averages the two kinds over different years (Law "
                          "41/2024/QH15 Art 72)")
    unpaid: list[BookOwedMonth] | None = Field(
        None, description="BookVoluntary rows only (absent otherwise): months not paid in full, "
                          "not counted until they are")


class BookUIPeriod(_Strict):
    from_: str = Field(alias="from", pattern=MONTH)
    to: str | None = Field(pattern=MONTH, description="null while ongoing")
    months: int
    employer_code: str | None
    salary_basis: int


class BookHIPeriod(_Strict):
    card_number: str
    benefit_level: int = Field(ge=1, le=5)
    valid_from: str = Field(pattern=DAY)
    valid_to: str = Field(pattern=DAY)
    initial_kcb_place: str = Field(description="Initial health-care registration place")


class BookArrear(_Strict):
    """A month the employer reported (and withheld the worker's share) but has not paid in
    full; it does not count until paid."""

    month: str = Field(pattern=MONTH)
    employer_code: str | None
    status: Literal["unpaid", "partly_paid"]
    withheld: int | None = Field(description="The worker's share deducted from pay")
    employer_due: int | None = Field(description="The employer's whole month, all workers")
    employer_paid: int | None


class BookBenefit(_Strict):
    """A claim as received and, once decided, its decision (keys that do not apply absent)."""

    regime: Regime
    dossier_no: str
    received_on: str = Field(pattern=DAY)
    status: Literal["claimed", "settled", "refused"]
    event_from: str | None = Field(None, pattern=DAY, description="Absent when not given")
    event_to: str | None = Field(None, pattern=DAY, description="Absent when not given")
    note: str | None = Field(None, description="Absent when not given")
    ground: str | None = Field(None, description="One-time withdrawal: Law 41/2024 Art 70(1) "
                                                 "ground (a-f); absent otherwise")
    capacity_loss_percent: int | None = Field(None, description=(
        "Early pension (Law 41/2024 Art 65(1)): the assessed loss of working capacity, percent; "
        "absent otherwise"))
    hazardous_years: int | None = Field(None, description=(
        "Early pension with capacity_loss_percent: years in especially heavy or hazardous jobs "
        "(Art 65(1)(c)); absent when not given"))
    infertility_treatment: bool | None = Field(None, description=(
        "Maternity after leave for infertility treatment (FACTS §4.4): true; absent otherwise"))
    occupational_kind: str | None = Field(None, description=(
        "Occupational: accident or disease; absent when not said"))
    disease_code: int | None = Field(None, description=(
        "An occupational disease's appendix of Circular 15/2016/TT-BYT; absent when not given"))
    disease_form: str | None = Field(None, description="Its form's key, where given")
    disease_name: str | None = Field(None, description=(
        "The disease as Circular 15/2016/TT-BYT names it, where the law tables know it"))
    disease_form_name: str | None = Field(None, description="Its form as the appendix words it")
    exposure_ended: str | None = Field(None, pattern=MONTH, description=(
        "The last month of exposure to the disease's harmful factor, where known"))
    decided_on: str | None = Field(None, pattern=DAY, description="Absent until decided")
    decision_no: str | None = Field(None, description="Absent until decided")
    amount: int | None = Field(None, description="Paid once, VND; absent when not")
    monthly_amount: int | None = Field(None, description="Paid each month, VND; absent when not")
    from_month: str | None = Field(None, pattern=MONTH, description="First month of a monthly "
                                                                    "benefit; absent otherwise")
    months: int | None = Field(None, description="Months a monthly benefit lasts; absent "
                                                 "otherwise")
    days: int | None = Field(None, description="Days of leave paid; absent otherwise")
    reason: str | None = Field(None, description="Why refused; absent otherwise")
    months_settled: int | None = Field(None, description="SI months a one-time withdrawal paid "
                                                         "out or UI months an unemployment "
                                                         "benefit used; absent when none")
    average_salary: int | None = Field(None, description="The revalued average salary, VND, a "
                                                         "pension decision states (its "
                                                         "dossier's); absent when none")


class BookTotals(_Strict):
    si_months: int = Field(description="Calendar months of SI that count towards a benefit: "
                                       "a month paid at two employers, or compulsorily and "
                                       "voluntarily, counts once")
    si_years: int
    si_remaining_months: int = Field(description="si_months = 12 * si_years + this")
    unpaid_months: int = Field(description="Reported or voluntary months not paid in full")
    ui_months: int = Field(description="Calendar months of UI paid since the last benefit: "
                                       "a month paid at two employers counts once")
    ui_reserved_months: int = Field(description="Months of UI reserved from before it")
    si_months_paid_out: int | None = Field(None, description="Absent unless a one-time "
                                                             "withdrawal paid months out")
    ui_months_used: int | None = Field(None, description="Absent unless an unemployment "
                                                         "benefit used months")


class BookVoluntaryPayment(_Strict):
    paid_on: str = Field(pattern=DAY)
    reference: str
    amount: int


class BookVoluntary(_Strict):
    payments: list[BookVoluntaryPayment]
    paid: int
    credit: int = Field(description="Paid beyond the months due, kept for the next months")


class Book(_Strict):
    """The e-SI book's content (Decree 164/2025/ND-CP; the paper book's cover and sheets)."""

    format: Literal["sibook-book/1"]
    header: BookHeader
    sheets: list[BookSheetRow] = Field(description="Empty in a restricted book")
    ui_periods: list[BookUIPeriod] = Field(description="Empty in a restricted book")
    hi_periods: list[BookHIPeriod]
    arrears: list[BookArrear] = Field(description="Empty in a restricted book")
    benefits: list[BookBenefit] = Field(description="Empty in a restricted book")
    totals: BookTotals
    voluntary: BookVoluntary | None = Field(None, description="Absent unless the person was ever "
                                                          "a voluntary participant, and in "
                                                          "restricted books")
    restricted: Literal[True] | None = Field(
        None, description="Present (true) only in a defence or public-security book, which "
                          "shows the person and totals only")


class BookAnswer(_Strict):
    version: int = Field(ge=1)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                              description="SHA-256 of the canonical JSON of ``book`` (sorted "
                                          "keys, no spaces, UTF-8)")
    prev_hash: str | None = Field(pattern=r"^[0-9a-f]{64}$",
                                  description="The previous version's content_hash; null for "
                                              "version 1")
    book: Book


class BookVersionSummary(_Strict):
    version: int = Field(ge=1)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    prev_hash: str | None = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: str = Field(description="When the version was recorded (ISO 8601, UTC)")
    revoked: bool = Field(description="Revoked by the agency (suspected fraud) until reinstated")


class BookHistory(_Strict):
    """Every version of the book, oldest first: each names its predecessor's hash, so a
    rewritten version breaks the chain (``chain_intact`` false, ``problems`` say where)."""

    personal_id: str
    chain_intact: bool
    problems: list[str]
    versions: list[BookVersionSummary]


class PensionEstimate(_Strict):
    rate_percent: float
    monthly_pension: int | None
    extra_lump_sum: int | None
    from_month: str = Field(pattern=MONTH, description=(
        "The first month the pension could be paid: the month after the retirement age is "
        "reached, or next month when it is reached already (Decree 135/2020 Art 3); the "
        "month a pension claim in the book starts from, when there is one"))


class AverageRule(_Strict):
    """Which of the law's rules took the average salary (Law 41/2024 Art 72; Law 58/2014 Art 62
    for a pension starting before 2025-07), by who set the pay of the book's months."""

    rule: Literal["whole_period", "state_scale_window", "both"] = Field(description=(
        "whole_period: no month on the state's salary scale, every salary counted over the "
        "whole period of SI (pay the employer set, a voluntary income; Art 72(2)); "
        "state_scale_window: every month on the state's salary scale (sheet rows marked "
        "state_scale), averaged over the last years by the year SI started (Art 72(1)); both: "
        "each state-scale month at that window's average, the others each at their own, over "
        "all the months (Art 72(3), Circular 59/2015/TT-BLDTBXH Art 20(3)'s formula)"))
    si_started: int = Field(description="The year SI started, which sets the window")
    window_years: int | None = Field(description=(
        "The years the state-scale months are averaged over; null for whole_period, or when "
        "the window is the whole period (SI started from 2025)"))
    source: str = Field(description="The law rows' sources, '; ' between them")
    text: str = Field(description="The rule in English words, with its sources")


class BenefitEstimate(_Strict):
    """What the person would get in the book's month: a pension if they retired, or a one-time
    withdrawal, by the law's formulas on the book's salary history, and when the person
    reaches the retirement age. An estimate: the SI office's decision on the full dossier is
    what is paid. A pension claimed is estimated from the month claimed, cut per year early
    (Art 66(3)); the grounds for a withdrawal are not judged here."""

    as_of: str = Field(pattern=MONTH)
    si_months: int = Field(description="Months of SI the book counts")
    average_salary: int | None = Field(description="Revalued average monthly salary; null "
                                                   "without a salary history (or law tables)")
    revalued_for: int | None = Field(description=(
        "The year whose revaluation coefficients were used: the estimate's own, or, for a "
        "pension claimed that has started by then, its start's (a year's coefficients are for "
        "the benefits that start in it); the latest published when that year's are not yet; "
        "null for a decision's average, or when no coefficients for that year are loaded "
        "(pension_note says so)"))
    average_salary_note: str | None = Field(None, description=(
        "Set when the average salary is the one a settled pension's decision states (its "
        "dossier's, which the pension is paid on), not the book's; names the decision"))
    average_rule: AverageRule | None = Field(None, description=(
        "Which rule took the book's average salary; null when there is none, or it is a "
        "decision's (average_salary_note)"))
    retirement_date: str | None = Field(pattern=DAY, description=(
        "The last day of the month the statutory retirement age is reached (Labour Code 2019 "
        "Art 169, Decree 135/2020); null when it was reached before the law tables (1995)"))
    reached_retirement_age: bool = Field(description="Whether the age is reached in or "
                                                     "before the estimate's month")
    pension: PensionEstimate | None = Field(description="null when the months are not enough")
    pension_note: str | None = Field(description="Why there is no pension estimate, or why "
                                                 "it has a rate but no amounts")
    one_time_withdrawal: int | None
    one_time_withdrawal_note: str | None = Field(description=(
        "Why no one-time withdrawal is offered: a pension is claimed or settled (Law 41/2024 "
        "Art 70)"))
    note: str
