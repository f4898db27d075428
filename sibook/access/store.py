"""Tables of the access part: the hash-chained access log, principal credentials, lockouts.

The access log has no foreign key to ``persons``: a log row must outlive the person it names
(``persons`` cascades deletes to its other rows; the log must never be cascaded away).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId

PRINCIPAL_KINDS = ("employer", "hospital", "officer")
OFFICER_ROLES = ("clerk", "approver", "auditor")
GENESIS_HASH = "0" * 64  # prev_hash of the first entry
DETAIL_MAX = 200  # an entry's detail: a few "key value" parts (sibook.access.details)


class AccessLogEntry(Base):
    """One read or change of personal data, or one refused attempt (nhật ký truy cập)."""

    __tablename__ = "access_log"
    __table_args__ = (
        # The citizen's "who looked at my data" reads by person, newest first.
        Index("ix_access_log_person_seq", "person_id", "seq"),
    )

    # Assigned under the chain-head lock, never by the database: gaps would be tampering.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_kind: Mapped[str] = mapped_column(String(16))  # citizen/officer/employer/hospital/...
    actor_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(BigId)
    action: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed / forbidden / not_found / ...
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not unique in the database: nothing looks an entry up by hash, and the chain is checked in
    # seq order (migration 0021 dropped the index, 40% of an append's time).
    hash: Mapped[str] = mapped_column(String(64))
    # A group entry (migration 0022): one access of many persons at once (a filing, a listing)
    # names them in access_log_subjects, not in person_id (None); these two, which its hash
    # covers, say how many and which (SHA-256 of their ids, see audit.subjects_digest).
    subject_count: Mapped[int | None] = mapped_column(Integer)
    subjects_sha256: Mapped[str | None] = mapped_column(String(64))
    # What the access was about where its action alone does not say (migration 0027): the unit
    # a remittance or a change of its regime or payment method concerns, what changed, the
    # filing (sibook.access.details). Hashed when not NULL; NULL on every entry logged before.
    detail: Mapped[str | None] = mapped_column(String(DETAIL_MAX))


class AccessLogSubject(Base):
    """One person a group entry names. Append-only like the log; no foreign key either way:
    it outlives the person, and a row added, changed or deleted is caught by ``chain.verify``
    against its entry's hashed count and digest, not by the database."""

    __tablename__ = "access_log_subjects"
    __table_args__ = (
        # The key is the citizen's read: the entries naming a person, newest first. The only
        # index: each is written into for every person of a filing while the head is held.
        PrimaryKeyConstraint("person_id", "seq"),
        {"sqlite_with_rowid": False},  # the key is the table: one B-tree written, not two
    )

    person_id: Mapped[int] = mapped_column(BigId)
    seq: Mapped[int] = mapped_column(BigInteger)


class AccessLogHead(Base):
    """The single row that holds the chain's last seq and hash; appenders lock it first."""

    __tablename__ = "access_log_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class PrincipalCredential(Base):
    """Client credentials of an employer, hospital or officer: argon2 hash, never the secret."""

    __tablename__ = "access_credentials"
    __table_args__ = (
        CheckConstraint("kind IN ('employer','hospital','officer')", name="kind"),
        CheckConstraint("realm IN ('civil','defence','public_security')", name="realm"),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(200))  # argon2id PHC string
    # An employer's unit code; a hospital's facility code (MA_CSKCB), which it files claims for.
    unit_code: Mapped[str | None] = mapped_column(String(13))
    province_code: Mapped[str | None] = mapped_column(String(2))  # officer; None = national
    realm: Mapped[str] = mapped_column(String(16), default="civil")
    roles: Mapped[str] = mapped_column(String(60), default="")  # comma-separated officer roles
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginFailures(Base):
    """Failed attempts per credential subject, for lockout.

    ``subject`` is a SHA-256 of the kind and identifier (a client id or a personal ID), so the
    table holds no personal ID in clear and unknown subjects are counted exactly like known ones.
    """

    __tablename__ = "access_login_failures"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedToken(Base):
    """Own bearer tokens ended before their expiry (a citizen signed out): refused until they
    would have expired anyway, then forgotten. Keyed by the token's ``jti``, or by
    ``sid:`` and a portal session's id for the whole session (``revocation.revoke``)."""

    __tablename__ = "access_revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger)  # the token's exp, Unix seconds
