"""HTTP adapter of the registry's employers under /api/v1: listing and registering units, and
the payment method and salary regime each pays by from a month on.

Every route declares its action; the access policy decides and logs (sibook.access.policy).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from sibook.access import details
from sibook.access.policy import Action, Guard
from sibook.api.params import UnitCodePath
from sibook.api.problems import HELD, Problems, Responses
from sibook.core.period import Period
from sibook.registry import reading, regimes, registered_again, service
from sibook.registry.api import Limit, guard
from sibook.registry.schemas import EmployerCreated, EmployerIn, PaymentCycleIn, SalaryRegimeIn

router = APIRouter(tags=["registry"])


class EmployerOut(BaseModel):
    code: str
    name: str
    province_code: str
    region: str
    salary_regime: Literal["employer", "state"] = Field(description=(
        "Who sets the unit's pay this month: employer (an enterprise) or state (the state's "
        "salary scale); the regime it was registered with unless changed since "
        "(PUT /api/v1/employers/{code}/salary-regime)"))


class EmployerList(BaseModel):
    employers: list[EmployerOut]


@router.get("/employers", response_model=EmployerList)
def list_employers(g: Annotated[Guard, guard(Action.EMPLOYER_LIST)], limit: Limit = 100,
                   ) -> EmployerList:
    rows = reading.list_employers(session=g.session, limit=limit,
                                  realm=getattr(g.principal, "realm", "civil"))
    return EmployerList(employers=[EmployerOut(**r.__dict__) for r in rows])


@router.post("/employers", response_model=EmployerCreated, status_code=status.HTTP_201_CREATED,
             responses=HELD)
def add_employer(g: Annotated[Guard, guard(Action.EMPLOYER_REGISTER)], body: EmployerIn,
                 ) -> EmployerCreated:
    """Register a unit. The same registration sent again answers the first (``replayed``,
    nothing changed); its code with other content is a 409 naming each field that differs,
    and a code held in another realm the 409 any held code gets."""
    g.province(body.province_code)
    # An officer registers into their own realm: a ministry's clerk registers its units.
    employer = dataclasses.replace(body.to_domain(), realm=getattr(g.principal, "realm", "civil"))
    employer_id, replayed = registered_again.register_employer(session=g.session,
                                                               employer=employer)
    return EmployerCreated(
        id=employer_id, code=employer.code, name=employer.name.strip(),
        province_code=employer.province_code, region=employer.region,
        payment_cycle=employer.payment_cycle, salary_regime=employer.regime, replayed=replayed)


class PaymentCycleSet(BaseModel):
    code: str
    payment_cycle: str
    from_month: str


@router.put("/employers/{code}/payment-cycle", response_model=PaymentCycleSet)
def set_payment_cycle(code: UnitCodePath, g: Annotated[Guard, guard(Action.EMPLOYER_CHANGE)],
                      body: PaymentCycleIn) -> PaymentCycleSet:
    """The unit's payment method from ``from_month`` on, as the agency accepted it: monthly, or
    every 3 or 6 months; a method set from the same month before is replaced."""
    g.employer(code)
    start = Period.parse(body.from_month)
    g.logged(service.change_payment_cycle(session=g.session, code=code,
                                          cycle=body.payment_cycle, from_month=start),
             detail=details.unit_changed(code, details.PAYMENT_CYCLE, body.payment_cycle,
                                         start))
    return PaymentCycleSet(code=code, **body.model_dump())


class SalaryRegimeSet(BaseModel):
    code: str
    salary_regime: str
    from_month: str


# A change reaching back to months a settled benefit averaged (registry.regimes).
AVERAGED: Responses = {409: {"model": Problems, "description": (
    "from_month is at or before a month a settled pension or one-time withdrawal of one of the "
    "unit's workers averaged: the reason says how many, and the first month that can change")}}


@router.put("/employers/{code}/salary-regime", response_model=SalaryRegimeSet,
            responses=AVERAGED)
def set_salary_regime(code: UnitCodePath, g: Annotated[Guard, guard(Action.EMPLOYER_CHANGE)],
                      body: SalaryRegimeIn) -> SalaryRegimeSet:
    """Who sets the unit's pay from ``from_month`` on (a public unit that became a company, or
    a regime registered wrong): a regime set from the same month before is replaced; the
    book's rows split where it changes, and a pension averages each kind of month by its rule
    (Law 41/2024/QH15 Art 72). Refused (422 naming ``from_month``) from a month before the
    unit's first, when its first worker was insured; (409 naming ``from_month``) from a month a
    settled pension or one-time withdrawal of one of its workers averaged: the amounts settled
    stay."""
    g.employer(code)
    start = Period.parse(body.from_month)
    g.logged(regimes.change_salary_regime(session=g.session, code=code,
                                          regime=body.salary_regime, from_month=start),
             detail=details.unit_changed(code, details.SALARY_REGIME, body.salary_regime,
                                         start))
    return SalaryRegimeSet(code=code, **body.model_dump())


class SalaryRegimeChangeOut(BaseModel):
    from_month: str = Field(description="First month paid so, YYYY-MM")
    salary_regime: Literal["employer", "state"]


class SalaryRegimeHistory(BaseModel):
    code: str
    registered: Literal["employer", "state"] = Field(description=(
        "The regime the unit was registered with: its months before the first change"))
    changes: list[SalaryRegimeChangeOut] = Field(description=(
        "Each change from a month on, until the next, ascending"))
    in_force: Literal["employer", "state"] = Field(description="The regime of this month")


@router.get("/employers/{code}/salary-regime", response_model=SalaryRegimeHistory)
def salary_regime_history(code: UnitCodePath,
                          g: Annotated[Guard, guard(Action.EMPLOYER_LIST)],
                          ) -> SalaryRegimeHistory:
    """Who has set the unit's pay over time (as `sibook employers regimes` shows it): the
    regime it was registered with, each change from a month on, and the one in force this
    month; read as the employers are listed."""
    g.employer(code)  # 404 for a unit nobody holds or of another realm
    history = regimes.regime_history(session=g.session, code=code)
    return SalaryRegimeHistory.model_validate(history.as_dict())
