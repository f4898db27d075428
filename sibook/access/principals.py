"""Who is calling: the principals the policy decides for, and the refusals at the edge.

The refusals are Starlette's HTTP exceptions (FastAPI's own subclass them): the CLI's policy
checks raise them too, and Starlette loads in a fraction of FastAPI's time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from starlette import status
from starlette.exceptions import HTTPException

CIVIL = "civil"
ROLES = frozenset({"clerk", "approver", "auditor"})


@dataclass(frozen=True)
class Citizen:
    """A person signed in through the national e-identity (VNeID); sees only their own record."""

    personal_id: str
    level: int  # assurance level: 2 = VNeID level 2, required for book access (FACTS §5.5)
    kind: ClassVar[str] = "citizen"

    @property
    def actor_id(self) -> str:
        return self.personal_id


@dataclass(frozen=True)
class Officer:
    """Agency staff acting within a realm and a province (None: the national office)."""

    client_id: str
    realm: str
    province_code: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    kind: ClassVar[str] = "officer"

    @property
    def actor_id(self) -> str:
        return self.client_id


@dataclass(frozen=True)
class EmployerUnit:
    """An employer (đơn vị sử dụng lao động) by its unit code; sees its own workers only, of
    its realm (a ministry's unit, its soldiers or officers; a civil unit, never theirs)."""

    client_id: str
    unit_code: str
    realm: str = CIVIL  # the unit's: its credential is made in it (``credentials._unit_problem``)
    kind: ClassVar[str] = "employer"

    @property
    def actor_id(self) -> str:
        return self.client_id


@dataclass(frozen=True)
class Hospital:
    """A health facility (cơ sở KCB): HI validity and benefit level; with its facility code
    (MA_CSKCB) it also files that facility's claims, and reads nothing of them back."""

    client_id: str
    facility_code: str | None = None
    kind: ClassVar[str] = "hospital"
    realm: ClassVar[str] = CIVIL

    @property
    def actor_id(self) -> str:
        return self.client_id


@dataclass(frozen=True)
class Anonymous:
    """No credentials: only public routes (law tables, health, the sign-in endpoints)."""

    kind: ClassVar[str] = "anonymous"

    @property
    def actor_id(self) -> str:
        return "-"


Principal = Citizen | Officer | EmployerUnit | Hospital | Anonymous


class Unauthenticated(HTTPException):
    """401 with the RFC 6750 challenge. One message for every token problem: an attacker learns
    nothing from which check failed. ``token_sent=False``: the request carried none, so the
    challenge names no error (RFC 6750 §3.1: a request lacking any authentication information
    gets no error code)."""

    def __init__(self, detail: str = "a valid bearer token is required", *,
                 token_sent: bool = True) -> None:
        challenge = 'Bearer error="invalid_token"' if token_sent else "Bearer"
        super().__init__(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": challenge})


class Forbidden(HTTPException):
    """403: the caller is known but this action is not theirs (kind, role or assurance level)."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail)


class TooManyRequests(HTTPException):
    def __init__(self, retry_after: int) -> None:
        super().__init__(status.HTTP_429_TOO_MANY_REQUESTS, "too many requests; try again later",
                         headers={"Retry-After": str(retry_after)})
