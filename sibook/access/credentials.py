"""Client credentials of employers, hospitals and officers, and lockout after failed attempts.

Security choices:
- Secrets are 256-bit random (``secrets.token_urlsafe(32)``), shown once, stored only as an
  argon2id hash (argon2-cffi's defaults, the RFC 9106 low-memory profile).
- An unknown client id still costs one argon2 verification against a dummy hash, so response
  time does not tell which client ids exist.
- Lockout counts failures per subject (a hash of kind + identifier, known or not); after
  ``lockout_threshold`` failures in ``lockout_minutes`` the subject is locked for as long. The
  lock lifts by itself (safe recovery, no hotline), or an officer lifts it early with
  ``sibook access unlock``. While locked, the answer is the same as for a wrong secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sibook.access.principals import ROLES, EmployerUnit, Hospital, Officer, Principal
from sibook.access.settings import AccessSettings, get_access_settings
from sibook.access.store import LoginFailures, PrincipalCredential
from sibook.core.errors import ConflictError, ValidationError

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the client is unknown, so both cases take as long (made lazily:
    hashing costs ~0.5 s, which every command would otherwise pay at import)."""
    return _hasher.hash("dummy secret that no client has")


@dataclass(frozen=True)
class NewClient:
    client_id: str
    kind: str  # employer / hospital / officer
    unit_code: str | None = None
    province_code: str | None = None
    realm: str = "civil"
    roles: tuple[str, ...] = ()


def subject(kind: str, identifier: str) -> str:
    return hashlib.sha256(f"{kind}:{identifier}".encode()).hexdigest()


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def is_locked(session: Session, key: str, now: datetime) -> bool:
    row = session.get(LoginFailures, key)
    return row is not None and row.locked_until is not None and _utc(row.locked_until) > now


def record_failure(session: Session, key: str, now: datetime,
                   settings: AccessSettings | None = None) -> None:
    s = settings or get_access_settings()
    window = timedelta(minutes=s.lockout_minutes)
    row = session.get(LoginFailures, key)
    if row is None or now - _utc(row.window_start) > window:
        row = session.merge(LoginFailures(subject=key, failures=0, window_start=now,
                                          locked_until=None))
    row.failures += 1
    if row.failures >= s.lockout_threshold:
        row.locked_until = now + window
    session.flush()


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginFailures).where(LoginFailures.subject == key))


def create_client(*, session: Session, client: NewClient) -> str:
    """Store a credential; returns the secret, which is never stored or shown again."""
    if client.kind == "employer" and not client.unit_code:
        raise ValidationError(field="unit_code", reason="an employer credential needs a unit code")
    unknown = set(client.roles) - ROLES
    if client.kind == "officer" and (not client.roles or unknown):
        raise ValidationError(field="roles", reason=f"officer roles are {sorted(ROLES)}")
    if re.fullmatch(r"[0-9]{12}", client.client_id):
        # A citizen's access log reads "you" for reads by their own personal ID: a client id
        # that looks like one would pass for the citizen.
        raise ValidationError(field="client_id", reason="must not look like a personal ID "
                                                        "(12 digits); name the organisation")
    if session.get(PrincipalCredential, client.client_id) is not None:
        raise ConflictError(f"client_id: {client.client_id} already exists")
    secret = secrets.token_urlsafe(32)
    session.add(PrincipalCredential(
        client_id=client.client_id, kind=client.kind, secret_hash=_hasher.hash(secret),
        unit_code=client.unit_code, province_code=client.province_code, realm=client.realm,
        roles=",".join(client.roles), active=True))
    session.flush()
    return secret


def authenticate_client(*, session: Session, client_id: str, secret: str,
                        now: datetime | None = None) -> PrincipalCredential | None:
    """The credential if the secret matches and the subject is not locked; None otherwise.

    Failures are flushed into ``session``: the caller commits them even when it refuses.
    """
    now = now or datetime.now(UTC)
    key = subject("client", client_id)
    row = session.scalar(select(PrincipalCredential).where(
        PrincipalCredential.client_id == client_id, PrincipalCredential.active.is_(True)))
    try:
        _hasher.verify(row.secret_hash if row else _dummy_hash(), secret)
        matched = row is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if is_locked(session, key, now):
        return None  # attempts while locked do not extend the lock: it always lifts on time
    if not matched or row is None:
        record_failure(session, key, now)
        return None
    clear_failures(session, key)
    if _hasher.check_needs_rehash(row.secret_hash):
        row.secret_hash = _hasher.hash(secret)
    return row


def principal_of(row: PrincipalCredential) -> Principal:
    if row.kind == "employer":
        return EmployerUnit(client_id=row.client_id, unit_code=row.unit_code or "")
    if row.kind == "hospital":
        return Hospital(client_id=row.client_id)
    return Officer(client_id=row.client_id, realm=row.realm, province_code=row.province_code,
                   roles=frozenset(r for r in row.roles.split(",") if r))


def unlock(*, session: Session, client_id: str) -> None:
    clear_failures(session, subject("client", client_id))
