"""HTTP adapter of benefits: a clerk receives a claim, an approver decides it, and the person
(or an officer in scope) reads them. The access policy decides and logs (``Guard.person``);
defence and public-security persons stay absent outside their realm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.access.principals import Forbidden
from sibook.api.choices import any_case, case_said
from sibook.api.days import Day
from sibook.api.params import PersonalIdPath
from sibook.api.problems import CONFLICT
from sibook.benefits import domain, occupational_facts
from sibook.benefits.service import (
    BenefitConflict,
    SameOfficer,
    decide,
    detail,
    listing,
    receive_claim,
)
from sibook.core.errors import NotFoundError, ValidationError
from sibook.core.period import MONTH_PATTERN, Period
from sibook.rules.inputs import PLAUSIBLE_MAX_VND

router = APIRouter(tags=["benefits"])
Reader = Annotated[Guard, Depends(require(Action.BENEFIT_READ))]
Receiver = Annotated[Guard, Depends(require(Action.BENEFIT_CLAIM))]
Decider = Annotated[Guard, Depends(require(Action.BENEFIT_DECIDE))]
PATH = "/persons/{personal_id}/benefits"
DossierPath = Annotated[str, Path(pattern=domain.DOSSIER.pattern,
                                  description="The claim's dossier number")]


class _Input(BaseModel):
    # A misspelt key ("monthly_ammount") must not vanish without a word.
    model_config = ConfigDict(extra="forbid")


# Read in any letter case, as the CLI reads --regime, --ground, --occupational-kind and
# --outcome; answered and recorded as the OpenAPI lists them (an enum, a pattern or a description).
_RegimeWord = Annotated[domain.Regime, any_case(tuple(domain.Regime))]
_GroundWord = Annotated[str, any_case(tuple(domain.GROUNDS))]
_KindWord = Annotated[Literal["accident", "disease"], any_case(occupational_facts.KINDS)]
_OutcomeWord = Annotated[str, any_case(domain.OUTCOMES)]


class ClaimIn(_Input):
    regime: _RegimeWord = Field(description=(
        "The regime claimed: " + ", ".join(domain.Regime) + case_said("Sickness", "sickness")))
    dossier_no: str = Field(pattern=domain.DOSSIER.pattern,
                            description="The dossier's receipt number, unique in the country")
    received_on: Day
    event_from: Day | None = Field(None, description=(
        "sickness/maternity: first day of leave; occupational: day of the accident or "
        "diagnosis; pension: day it starts; survivorship: day of death; unemployment: day the "
        "labour contract ended; lump_sum: none"))
    event_to: Day | None = Field(None, description="sickness/maternity: last day of leave")
    note: str | None = Field(None, max_length=domain.NOTE_MAX)
    ground: _GroundWord | None = Field(None, description=(
        "lump_sum only, its ground under Law 41/2024 Art 70(1): "
        + "; ".join(f"{k}: {v}" for k, v in domain.GROUNDS.items())
        + case_said("Emigration", "emigration")))
    capacity_loss_percent: StrictInt | None = Field(None, gt=0, le=100, description=(
        "pension only: the assessed loss of working capacity, percent, which lets a pension "
        "start before the statutory age (Law 41/2024 Art 65: up to 5 years at 61%, 10 at 81%)"))
    hazardous_years: StrictInt | None = Field(
        None, gt=0, le=domain.HAZARDOUS_YEARS_MAX, description=(
            "pension with capacity_loss_percent only: years in especially heavy or hazardous "
            "jobs (15 or more with a 61% loss allow an early pension, Art 65(1)(c))"))
    infertility_treatment: StrictBool = Field(False, description=(
        "maternity, a mother's only: the leave follows leave for infertility treatment, so her "
        "6 months of contributions are looked for in the 24 months before the birth, not 12 "
        "(Law 41/2024, FACTS §4.4)"))
    occupational_kind: _KindWord | None = Field(None, description=(
        "occupational only: a work accident or an occupational disease; a disease diagnosed "
        "after the job ended is received within its guarantee period (Law 84/2015/QH13 Art "
        "46(2), Circular 15/2016/TT-BYT)" + case_said("Disease", "disease")))
    disease_code: StrictInt | None = Field(
        None, gt=0, le=occupational_facts.DISEASE_CODE_MAX, description=(
            "an occupational disease's: the appendix of Circular 15/2016/TT-BYT that lists it"))
    disease_form: str | None = Field(None, max_length=occupational_facts.FORM_MAX, description=(
        "an occupational disease's form or lesion, where its appendix sets a guarantee period "
        "per form (the keys of sibook/law/data/occupational_diseases.csv: inorganic_colic, "
        "acute, chronic, ...)"))
    exposure_ended: str | None = Field(None, pattern=MONTH_PATTERN, description=(
        "an occupational disease's: the last month in the job exposed to its harmful factor, "
        "YYYY-MM; by default the end of the person's last compulsory SI before the diagnosis"))


class DecisionIn(_Input):
    outcome: _OutcomeWord = Field(pattern="^(settled|refused)$", description=(
        "settled (paid as stated) or refused (with a reason)" + case_said("SETTLED", "settled")))
    decided_on: Day
    decision_no: str = Field(min_length=1, max_length=domain.NUMBER_MAX)
    amount: StrictInt | None = Field(None, gt=0, le=domain.MAX_AMOUNT, description="Paid once, VND")
    monthly_amount: StrictInt | None = Field(None, gt=0, le=domain.MAX_AMOUNT,
                                             description="Paid each month, VND")
    from_month: str | None = Field(None, pattern=MONTH_PATTERN,
                                   description="First month of a monthly benefit, YYYY-MM")
    months: StrictInt | None = Field(None, gt=0, le=domain.MAX_MONTHS,
                                     description="How long a monthly benefit lasts")
    days: StrictInt | None = Field(None, gt=0, le=domain.MAX_DAYS,
                                   description="Days of leave paid")
    reason: str | None = Field(None, max_length=domain.REASON_MAX,
                               description="Why it was refused (a refusal must say)")
    average_salary: StrictInt | None = Field(None, gt=0, le=PLAUSIBLE_MAX_VND, description=(
        "A settled pension only, optional: the revalued average salary, VND, its dossier "
        "establishes (salary before the system's records, a court's or inspection's "
        "correction); monthly_amount and amount are checked against the record's rate times "
        "it (Law 41/2024 Arts 66, 68), else against the book's average"))


class DecisionOut(BaseModel):
    outcome: str
    decided_on: date
    decision_no: str
    amount: int | None
    monthly_amount: int | None
    from_month: str | None
    months: int | None
    days: int | None
    reason: str | None
    months_settled: int = Field(description="SI months a one-time withdrawal paid out, or UI "
                                            "months an unemployment benefit used")
    average_salary: int | None = Field(None, description="The average salary a pension "
                                                         "decision states, VND; null when none")
    recorded_at: str


class BenefitOut(BaseModel):
    personal_id: str
    dossier_no: str
    regime: domain.Regime
    regime_name: str
    received_on: date
    event_from: date | None
    event_to: date | None
    note: str | None
    ground: str | None
    capacity_loss_percent: int | None
    hazardous_years: int | None
    infertility_treatment: bool = Field(description="A maternity claim after leave for "
                                                    "infertility treatment (FACTS §4.4)")
    occupational_kind: str | None = Field(None, description="accident | disease; null: not "
                                                            "said (an occupational claim only)")
    disease_code: int | None = None
    disease_form: str | None = None
    exposure_ended: str | None = Field(None, description="The last month of exposure, YYYY-MM: "
                                                         "given, or the record's when a disease "
                                                         "was diagnosed after the job")
    disease_name: str | None = Field(None, description="The disease as Circular 15/2016/TT-BYT "
                                                       "names it, where the law tables know it")
    guarantee: str | None = Field(None, description=(
        "Why a disease diagnosed after exposure ended is insured: within its guarantee period, "
        "citing the law; null otherwise"))
    recorded_at: str
    status: str = Field(description="claimed | settled | refused")
    decision: DecisionOut | None


class BenefitRecorded(BenefitOut):
    replayed: bool = Field(description="Recorded before with the same content: this is that "
                                       "record, nothing changed")


class BenefitList(BaseModel):
    personal_id: str
    benefits: list[BenefitOut]


@router.get(PATH, response_model=BenefitList)
def benefits(personal_id: PersonalIdPath, g: Reader) -> dict[str, Any]:
    """The person's benefit claims in the order received, each with its decision. A person of
    the defence or public-security realm is answered to their realm's officers only: a
    benefit's amount tells the pay their own book leaves out (403, as for their ledger)."""
    person_id = g.person(personal_id)
    g.kept_by_the_ministry(person_id, "benefits")
    return listing(session=g.session, person_id=person_id, personal_id=personal_id)


@router.post(PATH, response_model=BenefitRecorded, status_code=status.HTTP_201_CREATED,
             responses=CONFLICT)
def receive(personal_id: PersonalIdPath, body: ClaimIn, g: Receiver
            ) -> dict[str, Any] | JSONResponse:
    """Receive a claim (the dossier); the same dossier again answers its first record."""
    person_id = g.person(personal_id, log=False)  # logged with the dossier, once recorded
    claim = domain.Claim(body.regime, body.dossier_no, body.received_on, body.event_from,
                         body.event_to, body.note, body.ground, body.capacity_loss_percent,
                         body.hazardous_years, body.infertility_treatment,
                         body.occupational_kind, body.disease_code, body.disease_form,
                         None if body.exposure_ended is None
                         else Period.parse(body.exposure_ended))
    return _recorded(g, person_id, lambda: receive_claim(
        session=g.session, person_id=person_id, personal_id=personal_id, claim=claim,
        actor=g.principal.actor_id))


@router.post(PATH + "/{dossier_no}/decision", response_model=BenefitRecorded,
             status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def decision(personal_id: PersonalIdPath, dossier_no: DossierPath, body: DecisionIn,
             g: Decider) -> dict[str, Any] | JSONResponse:
    """Settle (what is paid) or refuse (why) a received claim; once."""
    person_id = g.person(personal_id, log=False)  # logged with the decision, once recorded
    taken = domain.Decision(
        body.outcome, body.decided_on, body.decision_no, body.amount, body.monthly_amount,
        None if body.from_month is None else Period.parse(body.from_month), body.months,
        body.days, body.reason, average_salary=body.average_salary)
    return _recorded(g, person_id, lambda: decide(
        session=g.session, person_id=person_id, personal_id=personal_id,
        dossier_no=dossier_no, decision=taken, actor=g.principal.actor_id, four_eyes=True))


def _recorded(g: Guard, person_id: int, record: Callable[[], dict[str, Any]]
              ) -> dict[str, Any] | JSONResponse:
    try:
        result = record()
    except BenefitConflict as exc:  # answered here: the 409 names the field that differs
        g.refuse(exc, "refused", (person_id,) if exc.holder is None else (person_id, exc.holder))
        return JSONResponse(status_code=status.HTTP_409_CONFLICT,
                            content={"errors": [{"field": exc.field, "reason": str(exc)}]})
    except ValidationError as exc:  # its checks read the person's record: logged as refused
        raise g.refuse(exc, "refused", (person_id,)) from None
    except NotFoundError as exc:  # no such dossier: the person's claims were read, so logged
        g.refuse(exc, "refused", (person_id,))  # (the request's own entry is rolled back)
        return JSONResponse(status_code=status.HTTP_404_NOT_FOUND,
                            content={"errors": [{"field": "dossier_no", "reason": str(exc)}]})
    except SameOfficer as exc:
        raise g.refuse(Forbidden(str(exc)), "forbidden", (person_id,)) from None
    g.logged([person_id], detail=detail(result))  # which dossier: the action alone does not say
    return result
