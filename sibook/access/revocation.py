"""Ending own bearer tokens before their expiry: a citizen who signs out has the token behind
their session refused from then on, not only forgotten by their browser (a copied cookie or a
token kept by a script would otherwise work until it expired). Each refused token is kept only
until it would have expired: the table stays as small as the sign-outs of ten minutes."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sibook.access.store import RevokedToken


def revoke(session: Session, claims: dict[str, Any]) -> None:
    """Refuse the token with these (validated) claims from now on."""
    jti, exp = claims.get("jti"), claims.get("exp")
    if not isinstance(jti, str) or not isinstance(exp, int):
        return
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < int(time.time())))
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, expires_at=exp))


def is_revoked(session: Session, jti: str) -> bool:
    return session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None
