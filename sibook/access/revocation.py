"""Ending own bearer tokens before their expiry: a citizen who signs out has the token behind
their session refused from then on, not only forgotten by their browser (a copied cookie or a
token kept by a script would otherwise work until it expired). A token of a portal session
ends its whole session: the session's id is refused too (in the same table, its key
namespaced ``sid:``), so a copy of a token it had before a renewal is refused as well. Each is
kept only until the last token it stands for would have expired (a session: its cap from the
sign-in): the table stays as small as the sign-outs of a session's cap."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sibook.access.settings import get_access_settings
from sibook.access.store import RevokedToken
from sibook.access.tokens import LEEWAY
from sibook.core.db import dialect_insert

SESSION = "sid:"  # before a session's id where it is kept; a jti is hex, never this


def revoke(session: Session, claims: dict[str, Any]) -> None:
    """Refuse the token with these (validated) claims from now on."""
    jti, exp = claims.get("jti"), claims.get("exp")
    if not isinstance(jti, str) or not isinstance(exp, int):
        return
    # Forgotten once no longer accepted anyway: a token is accepted up to LEEWAY past its exp.
    session.execute(delete(RevokedToken).where(
        RevokedToken.expires_at < int(time.time()) - LEEWAY))
    ended = [{"jti": jti, "expires_at": exp}]
    sid, auth_time = claims.get("sid"), claims.get("auth_time")
    if isinstance(sid, str) and isinstance(auth_time, int):
        # No token of the session, renewed or not, expires past its cap from the sign-in.
        cap = auth_time + get_access_settings().portal_session_max_seconds
        ended.append({"jti": SESSION + sid, "expires_at": max(exp, cap)})
    # Insert-if-absent: the same token signed out twice at once (a second click) is refused
    # once, not a duplicate key (a 500) for the second.
    session.execute(dialect_insert(session, RevokedToken).values(ended)
                    .on_conflict_do_nothing(index_elements=[RevokedToken.jti]))


def is_revoked(session: Session, jti: str | None, sid: str | None = None) -> bool:
    """Whether the token ``jti``, or the portal session ``sid`` it belongs to, was ended."""
    keys = [key for key in (jti, sid and SESSION + sid) if key]
    return bool(keys) and session.scalar(
        select(RevokedToken.jti).where(RevokedToken.jti.in_(keys)).limit(1)) is not None
