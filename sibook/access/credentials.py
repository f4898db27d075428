"""Client credentials of employers, hospitals and officers, and lockout after failed attempts.

Security choices:
- Secrets are 256-bit random (``secrets.token_urlsafe(32)``), shown once, stored only as an
  argon2id hash (argon2-cffi's defaults, the RFC 9106 low-memory profile).
- An unknown client id still costs one argon2 verification against a dummy hash, so response
  time does not tell which client ids exist.
- Lockout counts failures per subject (a hash of kind + identifier, known or not); after
  ``lockout_threshold`` failures in ``lockout_minutes`` the subject is locked for as long. The
  lock lifts by itself (safe recovery, no hotline), or an officer lifts it early with
  ``sibook access unlock``. While locked, the answer is the same as for a wrong secret. A
  client's attempts are judged one after the other (``take_turn``), so a burst sent at once
  gets exactly ``lockout_threshold`` tries, no more.
- A client's lock is per client *and address*: client ids are not secret (an employer's is
  often its unit code), so a lock on the id alone would let anyone shut an employer out by
  sending five wrong secrets every quarter hour. A 256-bit secret cannot be guessed anyway;
  the lock bounds an address's tries, and ``lockout_client_threshold`` failures from all
  addresses together (a spread attack) lock the client everywhere.
- Failures that no longer count (window passed, no lock in force) are deleted at every
  successful sign-in, and a few with every failure counted, so the table holds the subjects
  tried lately, not all ever tried, even where no one signs in.
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
from sqlalchemy import delete, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook.access import sliding_window
from sibook.access.principals import (
    CIVIL,
    ROLES,
    EmployerUnit,
    Hospital,
    Officer,
    Principal,
    TooManyRequests,
)
from sibook.access.settings import AccessSettings, get_access_settings
from sibook.access.store import LoginFailures, PrincipalCredential
from sibook.core.db import dialect_insert
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.schema import metadata
from sibook.ids.provinces import province_2025
from sibook.registry.domain import text_problem

_hasher = PasswordHasher()
CLIENT_ID_MAX = 64  # the credentials' column


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


def client_realms(session: Session, client_ids: set[str]) -> dict[str, str]:
    """The realm of each of these officers' and units' credentials (ids not found, and
    hospitals', which are civil, are left out)."""
    if not client_ids:
        return {}
    rows = session.execute(select(PrincipalCredential.client_id, PrincipalCredential.realm)
                           .where(PrincipalCredential.kind.in_(("officer", "employer")),
                                  PrincipalCredential.client_id.in_(sorted(client_ids))))
    return {client_id: realm for client_id, realm in rows}


def subject(kind: str, identifier: str) -> str:
    return hashlib.sha256(f"{kind}:{identifier}".encode()).hexdigest()


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def client_subjects(client_id: str, address: str) -> tuple[str, str]:
    """The lockout subjects of a client's attempt: the client from this address, and the
    client from anywhere. The first begins with the second's first half, so an unlock finds
    every address's row by prefix (64 characters, as the column holds)."""
    overall = subject("client", client_id)
    return overall[:32] + subject("address", address)[:32], overall


def client_count(client_id: str, kind: str) -> str:
    """The key of a limit counted per credential (``kind``: refused identities, failed HI
    checks): it begins as the client's sign-in lockout rows do, so ``unlock`` lifts its stop
    too. Its turn is ``subject(kind, client_id)``, never the sign-in's (a registration or a
    check would otherwise wait on a secret's verification)."""
    return client_subjects(client_id, "")[1][:32] + subject(kind, client_id)[:32]


def locked_until(session: Session, key: str) -> datetime | None:
    row = session.get(LoginFailures, key, populate_existing=True)  # another may have counted
    return None if row is None or row.locked_until is None else _utc(row.locked_until)


def is_locked(session: Session, key: str, now: datetime) -> bool:
    until = locked_until(session, key)
    return until is not None and until > now


def record_failure(session: Session, key: str, now: datetime,
                   settings: AccessSettings | None = None, *, threshold: int | None = None
                   ) -> int:
    """Count a failure of ``key``; at ``threshold`` (default ``lockout_threshold``) failures
    within ``lockout_minutes`` it is locked for as long. The failures counted in the window,
    this one included."""
    s = settings or get_access_settings()
    window = timedelta(minutes=s.lockout_minutes)
    # Insert-if-absent, then the row locked: two wrong secrets at the same moment both count
    # (a read-then-insert would make the second a duplicate key, a 500 instead of a refusal).
    session.execute(dialect_insert(session, LoginFailures).values(
        subject=key, failures=0, window_start=now, locked_until=None,
    ).on_conflict_do_nothing(index_elements=[LoginFailures.subject]))
    row = session.scalars(select(LoginFailures).where(LoginFailures.subject == key)
                          .with_for_update().execution_options(populate_existing=True)).one()
    if now - _utc(row.window_start) > window:
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= (threshold or s.lockout_threshold):
        row.locked_until = now + window
    session.flush()
    counted = row.failures
    # Failures come from addresses and ids never seen again, with no sign-in after: each
    # new one takes a few expired rows with it (after its own row is held, so it waits on
    # no other), and the table stays the size of the subjects tried lately.
    forget_expired(session, now, s, most=FORGET_AT_A_FAILURE)
    return counted


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginFailures).where(LoginFailures.subject == key))


def signed_in(session: Session, key: str, now: datetime,
              settings: AccessSettings | None = None) -> None:
    """A successful sign-in of ``key``: its failures are forgotten, and so are every subject's
    that have expired (``forget_expired``)."""
    clear_failures(session, key)
    forget_expired(session, now, settings)


FORGET_AT_A_FAILURE = 10  # expired rows deleted with each failure counted: more than it adds


def forget_expired(session: Session, now: datetime, settings: AccessSettings | None = None,
                   most: int | None = None) -> None:
    """Delete the failure rows that no longer count: not locked (any more) and counted in a
    window longer ago than the longest a subject counts in (the lockout's, or the hour of
    refused identities). ``record_failure`` starts such a row over as if it were absent, so
    forgetting it changes no answer; without this, every address and client id ever tried
    (one row each) stays for good. A row another transaction holds is left for next time
    (SKIP LOCKED): a sign-in never waits on, or deadlocks with, a failure being counted.
    ``most``: at most so many rows (None: all)."""
    s = settings or get_access_settings()
    longest = max(timedelta(minutes=s.lockout_minutes), HOUR)
    expired = (select(LoginFailures.subject)
               .where(LoginFailures.window_start < now - longest,
                      or_(LoginFailures.locked_until.is_(None),
                          LoginFailures.locked_until <= now))
               .limit(most).with_for_update(skip_locked=True))
    session.execute(delete(LoginFailures).where(LoginFailures.subject.in_(expired)
                                                ).execution_options(synchronize_session=False))


# Registering someone checks the identity given against the population database; a caller
# that keeps getting it wrong is guessing (a stranger's birth date, one day at a time). Kept in
# the store, as the lockout: it holds across server processes and restarts.
IDENTITY_MISMATCHES_PER_HOUR = 10
HOUR = timedelta(hours=1)
IDENTITY = "identity"  # the kind of the count (``client_count``)


def identity_allowed(session: Session, actor: str, now: datetime | None = None) -> None:
    """429 while ``actor`` is stopped for having had IDENTITY_MISMATCHES_PER_HOUR identities
    refused within 60 minutes, until the earliest of them is 60 minutes old (``sliding_window``:
    never more in any 60 minutes, the hour's turn included): before the population database is
    asked again, so a stopped caller learns nothing more.

    The caller's turn is held until the transaction ends (PostgreSQL's advisory lock; SQLite's
    writers take turns already): their registrations are checked one after the other, each
    reading the refusals of those before it (``identity_refused`` counts one in the same
    transaction). Checked side by side, guesses sent at once were all answered, however many
    past the tenth. ``actor`` is an officer's or a unit's client id: ``unlock`` lifts the stop."""
    stopped_in_turn(session, client_count(actor, IDENTITY), now or datetime.now(UTC),
                    turn=subject(IDENTITY, actor))


def stopped_in_turn(session: Session, key: str, now: datetime, *, turn: str | None = None
                    ) -> None:
    """Take ``turn``'s (default ``key``'s) turn, then 429 while ``key`` is locked: a limit
    counted in the store, judged one attempt after the other."""
    take_turn(session, turn or key)
    until = locked_until(session, key)
    if until is not None and until > now:
        raise TooManyRequests(int((until - now).total_seconds()) + 1)


def take_turn(session: Session, key: str) -> None:
    """Hold ``key``'s turn until the transaction ends: another transaction taking it waits, then
    reads what this one counted (PostgreSQL's advisory lock; SQLite's writers take turns
    already, each transaction beginning IMMEDIATE). A limit checked before it is counted is
    exact only so: checked side by side, attempts sent at once all pass the check."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(key[:15], 16)})


def identity_refused(session: Session, actor: str, now: datetime | None = None) -> None:
    """Count a refused identity against ``actor`` (flushed; the caller commits it, in the turn
    ``identity_allowed`` took)."""
    at = now or datetime.now(UTC)
    sliding_window.count(session, client_count(actor, IDENTITY), at,
                         limit=IDENTITY_MISMATCHES_PER_HOUR, window=HOUR)
    forget_expired(session, at, most=FORGET_AT_A_FAILURE)  # as each sign-in failure does


def create_client(*, session: Session, client: NewClient) -> str:
    """Store a credential; returns the secret, which is never stored or shown again."""
    if client.kind == "employer":
        _unit_problem(session, client)
    if client.kind == "hospital" and client.unit_code is not None and not re.fullmatch(
            r"[0-9]{5}", client.unit_code):
        raise ValidationError(field="unit_code", reason=(
            "a hospital's unit code is its 5-digit facility code (MA_CSKCB), the one its "
            f"claim files carry; got {client.unit_code!r}"))
    if reason := client_id_problem(client.client_id):
        raise ValidationError(field="client_id", reason=reason)
    if client.province_code is not None and province_2025(client.province_code) is None:
        raise ValidationError(field="province_code", reason=(
            f"{client.province_code!r} is not one of the 34 current province codes (01 is "
            "Hà Nội)"))
    unknown = set(client.roles) - ROLES
    if client.kind == "officer" and (not client.roles or unknown):
        raise ValidationError(field="roles", reason=f"officer roles are {sorted(ROLES)}")
    if re.fullmatch(r"[0-9]{12}", client.client_id):
        # A citizen's access log reads "you" for reads by their own personal ID: a client id
        # that looks like one would pass for the citizen.
        raise ValidationError(field="client_id", reason="must not look like a personal ID "
                                                        "(12 digits); name the organisation")
    if session.get(PrincipalCredential, client.client_id) is not None:
        raise ConflictError(f"a client {client.client_id} already exists")
    secret = secrets.token_urlsafe(32)
    try:
        # Another transaction may create the same id between the check and this insert
        # (PostgreSQL makes this one wait for it, then refuses the duplicate): the same refusal.
        with session.begin_nested():
            session.add(PrincipalCredential(
                client_id=client.client_id, kind=client.kind, secret_hash=_hasher.hash(secret),
                unit_code=client.unit_code, province_code=client.province_code,
                realm=client.realm, roles=",".join(client.roles), active=True))
    except IntegrityError:
        raise ConflictError(f"a client {client.client_id} already exists") from None
    return secret


def _unit_problem(session: Session, client: NewClient) -> None:
    """An employer's credential names a registered unit of its own realm: it reads that
    unit's workers, and a credential for a unit not (yet) there would act for whoever
    registers the code later. A ministry's unit is absent to another realm, as to the access
    policy (``Guard.employer``): refused as a code nobody holds; a civil unit's code is public."""
    if not client.unit_code:
        raise ValidationError(field="unit_code", reason="an employer credential needs a unit code")
    employers = metadata.tables["employers"]
    realm = session.scalar(select(employers.c.realm).where(employers.c.code == client.unit_code))
    if realm is None or realm not in (CIVIL, client.realm):
        raise ValidationError(field="unit_code", reason=(
            f"no employer with code {client.unit_code}: register the unit first"))
    if realm != client.realm:
        raise ValidationError(field="realm", reason=(
            f"unit {client.unit_code} is of the {realm} realm, not {client.realm}"))


def client_id_problem(client_id: str) -> str | None:
    """Why no credential can have ``client_id``: empty, longer than the column, or holding a
    control character (a NUL PostgreSQL refuses even to look up)."""
    return "must not be empty" if not client_id.strip() else text_problem(client_id,
                                                                            CLIENT_ID_MAX)


def authenticate_client(*, session: Session, client_id: str, secret: str,
                        now: datetime | None = None, address: str = "unknown"
                        ) -> PrincipalCredential | None:
    """The credential if the secret matches and the client is locked neither at ``address``
    (the caller's) nor everywhere; None otherwise.

    Failures are flushed into ``session``: the caller commits them even when it refuses.
    """
    now = now or datetime.now(UTC)
    key, overall = client_subjects(client_id, address)
    row = None if client_id_problem(client_id) else session.scalar(select(
        PrincipalCredential).where(PrincipalCredential.client_id == client_id,
                                   PrincipalCredential.active.is_(True)))
    try:
        _hasher.verify(row.secret_hash if row else _dummy_hash(), secret)
        matched = row is not None
    except (VerificationError, InvalidHashError):
        matched = False
    # The client's attempts are judged one after the other, each seeing the failures counted
    # before it (the secret checked first, outside the turn: a verification is the slow part).
    # Judged side by side, a burst of wrong secrets sent at once all found the client unlocked
    # and were all answered: 5 to 8 tries where the limit is 5.
    take_turn(session, overall)
    if is_locked(session, key, now) or is_locked(session, overall, now):
        return None  # attempts while locked do not extend the lock: it always lifts on time
    if not matched or row is None:
        s = get_access_settings()
        record_failure(session, key, now, s)
        record_failure(session, overall, now, s, threshold=s.lockout_client_threshold)
        return None
    signed_in(session, key, now)
    if _hasher.check_needs_rehash(row.secret_hash):
        row.secret_hash = _hasher.hash(secret)
    return row


def revoke_client(*, session: Session, client_id: str) -> bool:
    """End a credential (leaked, or its holder gone): its secret is refused from now on, and
    so is every token it was given (``revoked``). Whether it was in force until now; an id no
    client has is refused naming ``client_id``."""
    if reason := client_id_problem(client_id):
        raise ValidationError(field="client_id", reason=reason)
    row = session.get(PrincipalCredential, client_id, with_for_update=True)
    if row is None:
        raise ValidationError(field="client_id", reason=f"no client {client_id}")
    was, row.active = bool(row.active), False
    return was


def revoked(session: Session, principal: Principal) -> bool:
    """Whether ``principal`` holds a token of a credential revoked since it was given: refused
    at once, not when its token expires. A citizen's token is no credential's."""
    if not isinstance(principal, EmployerUnit | Hospital | Officer):
        return False
    return session.scalar(select(PrincipalCredential.active).where(
        PrincipalCredential.client_id == principal.client_id)) is False


def principal_of(row: PrincipalCredential) -> Principal:
    if row.kind == "employer":
        return EmployerUnit(client_id=row.client_id, unit_code=row.unit_code or "",
                            realm=row.realm)
    if row.kind == "hospital":
        return Hospital(client_id=row.client_id, facility_code=row.unit_code)
    return Officer(client_id=row.client_id, realm=row.realm, province_code=row.province_code,
                   roles=frozenset(r for r in row.roles.split(",") if r))


def unlock(*, session: Session, client_id: str, now: datetime | None = None) -> int:
    """Lift the client's locks, everywhere and at every address, and its stops (refused
    identities, failed HI checks: ``client_count``), and forget its failures and their counts;
    how many locks were in force (0 for an id nobody was locked out under: known or not, as a
    guesser's ids are locked out too). An id no credential can have (empty, too long, holding
    a control character) is refused as ``create_client`` refuses it: a script's unset variable
    would otherwise be told it unlocked something."""
    if reason := client_id_problem(client_id):
        raise ValidationError(field="client_id", reason=reason)
    now = now or datetime.now(UTC)
    prefix = client_subjects(client_id, "")[1][:32]
    theirs = LoginFailures.subject.startswith(prefix)
    until = session.scalars(select(LoginFailures.locked_until).where(
        theirs, LoginFailures.locked_until.is_not(None))).all()
    session.execute(delete(LoginFailures).where(theirs))
    return sum(1 for u in until if u is not None and _utc(u) > now)
