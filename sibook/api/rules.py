"""``POST /api/v1/rules/...``: the same answers as ``sibook rules ...``, as JSON bodies.

Requests use the CLI's flag names as keys (``--average-salary`` -> ``average_salary``); responses
carry the contract's keys plus ``explain``, ``sources`` and ``provisional``. Input the rules
refuse raises ValidationError, which the app answers with 422 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from sibook.access.deps import require
from sibook.access.policy import Action
from sibook.api.choices import (
    OA_RATE_DOC,
    REGION_DOC,
    SEX_DOC,
    SUPPORT_CASE,
    OaRateText,
    RegionText,
    SexText,
    SupportText,
)
from sibook.api.days import Day
from sibook.core.period import MONTH_PATTERN
from sibook.law.terms import OA_RATES, REGIONS, SEXES, SUPPORT_GROUPS
from sibook.rules import answers
from sibook.rules.inputs import (
    PLAUSIBLE_MAX_DAYS,
    PLAUSIBLE_MAX_DUES,
    PLAUSIBLE_MAX_MONTHS,
    PLAUSIBLE_MAX_VND,
)
from sibook.rules.maternity import MAX_CHILDREN

# Law tables hold no personal data: public, but still declared to the policy like every route.
router = APIRouter(prefix="/rules", tags=["rules"], dependencies=[Depends(require(Action.PUBLIC))])

MONTH = Field(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2026-01"])
OPTIONAL_MONTH = Field(default=None, pattern=MONTH_PATTERN,
                       description="YYYY-MM whose rules apply; default the current month")


def _declared(*, default: Any = ..., **schema: Any) -> Any:
    """A field whose range or choices the OpenAPI states. The calculators check them, so a
    refusal stays theirs: 422 ``{"errors": [{"field", "reason"}]}`` naming the field."""
    if default is None and "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return Field(default=default, json_schema_extra=schema)


VND = {"minimum": 1, "maximum": PLAUSIBLE_MAX_VND}
MONTHS = {"minimum": 0, "maximum": PLAUSIBLE_MAX_MONTHS}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Answer(BaseModel):
    explain: list[str] = []
    sources: list[str] = []
    provisional: bool = False


class ContributionRequest(_Request):
    month: str = MONTH
    salary: StrictInt = _declared(**VND)
    region: RegionText | None = _declared(default=None, enum=list(REGIONS),
                                          description=REGION_DOC)
    voluntary: StrictBool = False
    foreign: StrictBool = False
    support: SupportText | None = _declared(default=None, enum=list(SUPPORT_GROUPS), description=(
        "Voluntary state-support group; absent: other (20%: anyone in none of the others), "
        "as the law supports everyone, for 120 months in all (Decree 159/2025)" + SUPPORT_CASE))
    months_supported: StrictInt = _declared(default=0, **MONTHS)
    oa_rate: OaRateText = _declared(default="standard", enum=list(OA_RATES),
                                    description=OA_RATE_DOC)


class FundShares(BaseModel):
    retirement_survivorship: int
    sickness_maternity: int
    occupational: int
    health: int
    unemployment: int
    total: int


class ContributionAnswer(_Answer):
    month: str
    employer: FundShares
    employee: FundShares
    state_support: int
    total: int


class PensionRequest(_Request):
    sex: SexText = _declared(enum=list(SEXES), description=SEX_DOC)
    contribution_months: StrictInt = _declared(**MONTHS)
    # At most the law's max_early_months (120: 10 years, Law 41/2024 Art 65), checked by the
    # calculator against the table of the month asked.
    months_early: StrictInt = _declared(
        default=0, minimum=0, description="Months the pension starts before the statutory age: "
        "at most 120, the law's 10 years (Law 41/2024 Art 65)")
    average_salary: StrictInt | None = _declared(default=None, **VND)
    # Of the months, those paid after the statutory age by someone who had the years a pension
    # needs by then: Law 41/2024 Art 68(2).
    months_past_retirement_age: StrictInt = _declared(default=0, minimum=0)
    voluntary_months: StrictInt = _declared(
        default=0, minimum=0, description="Of the months, those paid to voluntary SI only: they "
        "count towards the rate, not towards the 20 years of compulsory SI an early pension and "
        "the lowest pension need (Law 41/2024 Arts 65(1), 141(11))")
    month: str | None = Field(
        default=None, pattern=MONTH_PATTERN, examples=["2021-05"],
        description="YYYY-MM the pension starts: the law in force then prices it (Law 41/2024 "
                    "Art 5(7)), Law 58/2014 from 2016-01 (earlier: 422), Law 41/2024 from "
                    "2025-07; default the current month")


class PensionAnswer(_Answer):
    rate_percent: float
    monthly_pension: int | None
    extra_lump_sum: int | None
    month: str


class RetirementRequest(_Request):
    sex: SexText = _declared(enum=list(SEXES), description=SEX_DOC)
    birth_date: Day = Field(description="Not after today; only the year known: "
                                      "YYYY-01-01 (Decree 135/2020 Art 3)")


class RetirementAnswer(_Answer):
    age: str = Field(description='The statutory age, e.g. "61 years 3 months"')
    age_months: int
    retirement_date: str = Field(description="The last day of the month the age is reached")
    pension_from: str = Field(description="The first month of pension, YYYY-MM")


class LumpSumRequest(_Request):
    months_before_2014: StrictInt = _declared(**MONTHS)
    months_from_2014: StrictInt = _declared(**MONTHS)
    average_salary: StrictInt = _declared(**VND)
    month: str | None = OPTIONAL_MONTH


class AmountAnswer(_Answer):
    amount: int
    month: str


class UnemploymentRequest(_Request):
    average_salary: StrictInt = _declared(**VND)
    contribution_months: StrictInt = _declared(**MONTHS)
    region: RegionText = _declared(enum=list(REGIONS), description=REGION_DOC)
    termination: Day


class UnemploymentAnswer(_Answer):
    monthly_benefit: int
    duration_months: int


class SicknessRequest(_Request):
    salary: StrictInt = _declared(**VND)
    days: StrictFloat = _declared(minimum=0, maximum=PLAUSIBLE_MAX_DAYS)
    years_contributed: StrictInt = _declared(minimum=0, maximum=80)
    heavy: StrictBool = False
    month: str | None = OPTIONAL_MONTH


class SicknessAnswer(_Answer):
    amount: int
    max_days_per_year: int
    days_paid: float
    month: str


class MaternityAllowanceRequest(_Request):
    month: str = MONTH
    children: StrictInt = _declared(minimum=1, maximum=MAX_CHILDREN)
    voluntary: StrictBool = False


class LateInterestRequest(_Request):
    amount: StrictInt = _declared(minimum=0, maximum=PLAUSIBLE_MAX_DUES)
    days_late: StrictInt = _declared(minimum=0, maximum=PLAUSIBLE_MAX_DAYS)
    month: str | None = OPTIONAL_MONTH


class LateInterestAnswer(_Answer):
    interest: int
    evasion: bool
    evasion_from_day: int
    month: str


def _month(value: str | None) -> str:
    return value if value is not None else f"{date.today():%Y-%m}"


@router.post("/contribution", response_model=ContributionAnswer)
def contribution(body: ContributionRequest) -> dict[str, Any]:
    return answers.contribution_answer(**body.model_dump())


@router.post("/pension", response_model=PensionAnswer)
def pension(body: PensionRequest) -> dict[str, Any]:
    return answers.pension_answer(**{**body.model_dump(), "month": _month(body.month)})


@router.post("/retirement", response_model=RetirementAnswer)
def retirement(body: RetirementRequest) -> dict[str, Any]:
    return answers.retirement_answer(**body.model_dump())


@router.post("/lump-sum", response_model=AmountAnswer)
def lump_sum(body: LumpSumRequest) -> dict[str, Any]:
    return answers.lump_sum_answer(**{**body.model_dump(), "month": _month(body.month)})


@router.post("/unemployment", response_model=UnemploymentAnswer)
def unemployment(body: UnemploymentRequest) -> dict[str, Any]:
    return answers.unemployment_answer(**body.model_dump())


@router.post("/sickness", response_model=SicknessAnswer)
def sickness(body: SicknessRequest) -> dict[str, Any]:
    return answers.sickness_answer(**{**body.model_dump(), "month": _month(body.month)})


@router.post("/maternity-allowance", response_model=AmountAnswer)
def maternity_allowance(body: MaternityAllowanceRequest) -> dict[str, Any]:
    return answers.maternity_allowance_answer(**body.model_dump())


@router.post("/late-interest", response_model=LateInterestAnswer)
def late_interest(body: LateInterestRequest) -> dict[str, Any]:
    return answers.late_interest_answer(**{**body.model_dump(), "month": _month(body.month)})
