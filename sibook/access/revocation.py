"""Ending own bearer tokens before their expiry: a citizen who signs out has the token behind
their session refused from then on, not only forgotten by their browser (a copied cookie or a
token kept by a script would otherwise work until it expired). Each refused token is kept only
until it would have expired: the table stays as small as the sign-outs of ten minutes."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sibook.access.store import RevokedToken


def revoke(session: Session, claims: dict[str, Any]) -> None:
    """Refuse the token with these (validated) claims from now on."""
    jti, exp = claims.get("jti"), claims.get("exp")
    if not isinstance(jti, str) or not isinstance(exp, int):
        return
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < int(time.time())))
    # Insert-if-absent: the same token signed out twice at once (a second click) is refused
    # once, not a duplicate key (a 500) for the second.
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(RevokedToken).values(jti=jti, expires_at=exp)
                    .on_conflict_do_nothing(index_elements=[RevokedToken.jti]))


def is_revoked(session: Session, jti: str) -> bool:
    return session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None
