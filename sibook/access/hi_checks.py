"""A health facility's failed HI checks at admission, limited per credential.

A failed check tells the facility something all the same: a card number whose SI code is held
but which is not the card on record is a wrong guess of that SI code's group, benefit level or
province; a number nobody holds (or a ministry's person's, answered alike) a wrong guess of a
number. After ``hi_check_failures_per_hour`` of them (``AccessSettings``, where the number is
argued) within the hour, the credential is stopped for the hour after the last: every check is
a 429 with Retry-After, one by a right number too, or the 429 would be the wrong guesses'
answer alone. Successful checks are never counted, however many.

Counted in the store, as the sign-in lockout and refused identities are (``credentials``): it
holds across server processes and restarts, and a credential's checks take turns, so checks sent
at once are stopped at the limit too. Only a facility's credential is counted: an officer's
checks are their role's, and answered as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sibook.access import credentials
from sibook.access.principals import Hospital, Principal
from sibook.access.settings import get_access_settings


def subject_of(client_id: str) -> str:
    """The credential's count: it begins as its sign-in lockout's, so ``sibook access unlock``
    lifts a stop as well."""
    return (credentials.client_subjects(client_id, "")[1][:32]
            + credentials.subject("hi-check", client_id)[:32])


def allowed(session: Session, principal: Principal, now: datetime | None = None) -> None:
    """429 while a facility's credential is stopped; its turn is held until the transaction
    ends (a turn of its own, not the sign-in's: a check never waits on a secret's check)."""
    if isinstance(principal, Hospital):
        credentials.stopped_in_turn(
            session, subject_of(principal.client_id), now or datetime.now(UTC),
            turn=credentials.subject("hi-check", principal.client_id))


def failed(session: Session, principal: Principal, now: datetime | None = None) -> None:
    """Count a failed check of a facility's credential (flushed; the caller commits it, before
    any rollback of the refusal, while the credential's turn is still held)."""
    if isinstance(principal, Hospital):
        credentials.record_failure(
            session, subject_of(principal.client_id), now or datetime.now(UTC),
            threshold=get_access_settings().hi_check_failures_per_hour,
            window=credentials.HOUR)
