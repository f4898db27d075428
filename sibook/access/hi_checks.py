"""A health facility's failed HI checks at admission, and its claim files' lines naming a
person not as registered, limited per credential.

A failed check tells the facility something all the same: a card number whose SI code is held
but which is not the card on record is a wrong guess of that SI code's group, benefit level or
province; a number nobody holds (or a ministry's person's, answered alike) a wrong guess of a
number. A claim file's line refused as not the registry's person (``visits.service``: an ID
nobody holds or a ministry's person's, another name, a card not theirs) is a guess of whose
the ID is, or its name: it counts alike, one a line. After ``hi_check_failures_per_hour`` of
them (``AccessSettings``, where the number is argued) within 60 minutes, the credential is
stopped until the earliest of them is 60 minutes old (a sliding window: never more than the
limit in any 60 minutes): every check and claim file is a 429 with Retry-After, one by a right
number too, or the 429 would be the wrong guesses' answer alone; a file with more such lines
than the credential had left is that 429 too, answered only up to the line one past them.
Successful checks and accepted files are never counted, however many.

Counted in the store (``sliding_window``), as the sign-in lockout and refused identities are
(``credentials``): it holds across server processes and restarts, and a credential's checks
take turns, so checks sent at once are stopped at the limit too. Only a facility's credential
is counted: an officer's checks are their role's, and answered as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sibook.access import credentials, sliding_window
from sibook.access.principals import Hospital, Principal, TooManyRequests
from sibook.access.settings import get_access_settings

HI_CHECK = "hi-check"  # the kind of the count (``credentials.client_count``)


def subject_of(client_id: str) -> str:
    """The credential's count: ``sibook access unlock`` lifts its stop as well."""
    return credentials.client_count(client_id, HI_CHECK)


def allowed(session: Session, principal: Principal, now: datetime | None = None) -> None:
    """429 while a facility's credential is stopped; its turn is held until the transaction
    ends (a turn of its own, not the sign-in's: a check never waits on a secret's check)."""
    if isinstance(principal, Hospital):
        credentials.stopped_in_turn(
            session, subject_of(principal.client_id), now or datetime.now(UTC),
            turn=credentials.subject(HI_CHECK, principal.client_id))


def budget(session: Session, principal: Principal, now: datetime | None = None
           ) -> int | None:
    """``allowed``, then how many failures a facility's credential has left before it is
    stopped (None: another principal's, not limited)."""
    at = now or datetime.now(UTC)
    allowed(session, principal, at)
    if not isinstance(principal, Hospital):
        return None
    limit = get_access_settings().hi_check_failures_per_hour
    return max(limit - sliding_window.recent(session, subject_of(principal.client_id), at,
                                             limit=limit, window=credentials.HOUR), 0)


def failed(session: Session, principal: Principal, now: datetime | None = None, *,
           count: int = 1) -> TooManyRequests | None:
    """Count ``count`` failures of a facility's credential (flushed; the caller commits it,
    before any rollback of the refusal, while the credential's turn is still held); the 429
    in force once they are, when they reached the limit."""
    if not isinstance(principal, Hospital) or count < 1:
        return None
    at = now or datetime.now(UTC)
    until = sliding_window.count(session, subject_of(principal.client_id), at,
                                 limit=get_access_settings().hi_check_failures_per_hour,
                                 window=credentials.HOUR, events=count)
    # As each sign-in failure does: a few expired rows of any subject go with it.
    credentials.forget_expired(session, at, most=credentials.FORGET_AT_A_FAILURE)
    return None if until is None else TooManyRequests(int((until - at).total_seconds()) + 1)
