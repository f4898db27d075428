"""The National Population Database port: identities are checked against it at registration.

Two adapters pass the same contract tests: ``LocalPopulationRegistry`` (the store's
``population_citizens`` table, for the embedded default) and ``HttpPopulationRegistry`` (a real
population service at ``SIBOOK_POPULATION_URL`` answering ``GET /citizens/{personal_id}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.core.errors import Problem
from sibook.registry.domain import same_name
from sibook.registry.store import PopulationCitizen


@dataclass(frozen=True)
class Citizen:
    personal_id: str
    full_name: str
    birth_date: date
    sex: str


class PopulationUnavailable(Exception):
    """The population service could not answer (network, 5xx): retry later, never guess."""


class PopulationRegistry(Protocol):
    def lookup(self, personal_id: str) -> Citizen | None: ...


class LocalPopulationRegistry:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lookup(self, personal_id: str) -> Citizen | None:
        row = self.session.scalars(
            select(PopulationCitizen).where(PopulationCitizen.personal_id == personal_id)
        ).one_or_none()
        if row is None:
            return None
        return Citizen(row.personal_id, row.full_name, row.birth_date, row.sex)


class HttpPopulationRegistry:
    """Each lookup opens its connection and closes it: the adapter is made per registration
    and has no end of its own, so a client it kept would be left open for the collector."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def lookup(self, personal_id: str) -> Citizen | None:
        try:
            with httpx2.Client(base_url=self.base_url, timeout=self.timeout) as client:
                response = client.get(f"/citizens/{personal_id}")
        except httpx2.HTTPError as exc:
            raise PopulationUnavailable(f"population service unreachable: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise PopulationUnavailable(f"population service answered {response.status_code}")
        body = response.json()
        return Citizen(
            body["personal_id"],
            body["full_name"],
            date.fromisoformat(body["birth_date"]),
            body["sex"],
        )


def identity_problems(
    citizen: Citizen, *, full_name: str, birth_date: date, sex: str
) -> list[Problem]:
    """One problem when the declared identity differs from the population record. It does not
    say which of name, birth date and sex differs: an answer per field would let whoever may
    register people (every employer) find a stranger's birth date by guessing it."""
    if (same_name(citizen.full_name, full_name) and citizen.birth_date == birth_date
            and citizen.sex == sex):
        return []
    return [Problem(field="personal_id", reason=(
        "the full name, birth date and sex given do not all match the National Population "
        "Database's record of this personal ID; check them against the citizen's ID card"))]


def population_registry(session: Session, url: str | None) -> PopulationRegistry:
    """The configured population database: a real service by URL, else the local store."""
    return HttpPopulationRegistry(url) if url else LocalPopulationRegistry(session)
