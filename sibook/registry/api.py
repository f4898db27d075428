"""HTTP adapter of the registry: persons, households and employers under /api/v1."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from sibook.api.deps import SessionDep
from sibook.registry import service
from sibook.registry.schemas import Created, EmployerIn, HouseholdIn, PersonIn

router = APIRouter(tags=["registry"])

Limit = Annotated[int, Query(ge=1, le=10_000)]


class PersonOut(BaseModel):
    personal_id: str
    full_name: str
    birth_date: date
    employer: str | None


class PersonList(BaseModel):
    persons: list[PersonOut]


class EmployerOut(BaseModel):
    code: str
    name: str
    province_code: str
    region: str


class EmployerList(BaseModel):
    employers: list[EmployerOut]


@router.get("/persons", response_model=PersonList)
def list_persons(
    session: SessionDep, limit: Limit = 100, employer: str | None = None
) -> PersonList:
    rows = service.list_persons(session=session, limit=limit, employer_code=employer)
    return PersonList(persons=[PersonOut(**r.__dict__) for r in rows])


@router.post("/persons", response_model=Created, status_code=status.HTTP_201_CREATED)
def register_person(session: SessionDep, body: PersonIn) -> Created:
    return Created(id=service.register_person(session=session, person=body.to_domain()))


@router.post("/households", response_model=Created, status_code=status.HTTP_201_CREATED)
def add_household(session: SessionDep, body: HouseholdIn) -> Created:
    return Created(id=service.add_household(session=session, household=body.to_domain()))


@router.get("/employers", response_model=EmployerList)
def list_employers(session: SessionDep, limit: Limit = 100) -> EmployerList:
    rows = service.list_employers(session=session, limit=limit)
    return EmployerList(employers=[EmployerOut(**r.__dict__) for r in rows])


@router.post("/employers", response_model=Created, status_code=status.HTTP_201_CREATED)
def add_employer(session: SessionDep, body: EmployerIn) -> Created:
    return Created(id=service.add_employer(session=session, employer=body.to_domain()))
