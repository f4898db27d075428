"""The contribution ledger: declarations, dues, payments and their allocation. Append-only.

Dues and payments are kept per employer and month (the per-worker breakdown is derivable from
the participation periods), so a national month is a few hundred thousand rows. Keys lead with
the month (``period`` = Period.index) so the tables can be range-partitioned by month on
PostgreSQL. Corrections are new entries with negative amounts; migration 0003 installs triggers
that refuse UPDATE and DELETE on both backends (migration 0007 on ``voluntary_payments``).

A voluntary participant pays for themself, not through an employer: their payments are kept per
person (keys lead with ``person_id``, as the participation periods'), and the months they pay
are computed when read (``contributions.voluntary``), never stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId

FUNDS = (
    "retirement_survivorship",
    "sickness_maternity",
    "occupational",
    "health",
    "unemployment",
)
APPEND_ONLY = ("ledger_entries", "payments", "payment_allocations", "declarations",
               "voluntary_payments", "ledger_starts")


class Declaration(Base):
    """One filed monthly list (D02-LT), kept with its idempotency key and its result."""

    __tablename__ = "declarations"
    __table_args__ = (Index("ix_declarations_employer_period", "employer_id", "period"),)

    declaration_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employer_id: Mapped[int] = mapped_column(BigId, ForeignKey("employers.employer_id"))
    period: Mapped[int] = mapped_column(Integer)
    batch_no: Mapped[int] = mapped_column(SmallInteger)  # đợt: batch within the month
    content_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    file_format: Mapped[str] = mapped_column(String(8))
    lines: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(Text)  # the JSON answered the first time
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LedgerEntry(Base):
    """Dues of an employer for a month, or a correction to them (a signed delta)."""

    __tablename__ = "ledger_entries"
    # The key leads with the month (a month's assessment reads it); an employer's own history
    # (its statement, allocation, the book's arrears) needs its own index, or each of those
    # reads scans the whole national ledger.
    __table_args__ = (Index("ix_ledger_entries_employer_period", "employer_id", "period"),)

    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employers.employer_id"), primary_key=True
    )
    entry_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("declarations.declaration_id")
    )
    workers: Mapped[int] = mapped_column(Integer)  # change in the number of workers assessed
    er_retirement_survivorship: Mapped[int] = mapped_column(BigInteger)
    er_sickness_maternity: Mapped[int] = mapped_column(BigInteger)
    er_occupational: Mapped[int] = mapped_column(BigInteger)
    er_health: Mapped[int] = mapped_column(BigInteger)
    er_unemployment: Mapped[int] = mapped_column(BigInteger)
    ee_retirement_survivorship: Mapped[int] = mapped_column(BigInteger)
    ee_sickness_maternity: Mapped[int] = mapped_column(BigInteger)
    ee_occupational: Mapped[int] = mapped_column(BigInteger)
    ee_health: Mapped[int] = mapped_column(BigInteger)
    ee_unemployment: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerStart(Base):
    """The first month an employer's ledger holds whole (``ledger.began``), written with its
    first entries and never changed. A month before it and before the ledger began (2026-01)
    is carried over: its dues were settled outside the ledger, which holds only the changes
    filed since."""

    __tablename__ = "ledger_starts"

    employer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employers.employer_id"), primary_key=True
    )
    period: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    """A remittance from an employer, with the bank's reference."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_employer", "employer_id"),)

    payment_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employer_id: Mapped[int] = mapped_column(BigId, ForeignKey("employers.employer_id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_reference: Mapped[str] = mapped_column(String(40))
    paid_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PaymentAllocation(Base):
    """Part of a payment applied to an employer's dues of one month (oldest first)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (Index("ix_payment_allocations_employer_period", "employer_id", "period"),)

    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employers.employer_id"), primary_key=True
    )
    allocation_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.payment_id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)


class VoluntaryPayment(Base):
    """What a voluntary participant paid (đóng BHXH tự nguyện), with the payment's reference.

    The reference (a bank transaction, a collection agent's receipt) is the idempotency key per
    person, compared in upper case (``idempotency_key``): banks print it in either case.
    """

    __tablename__ = "voluntary_payments"
    __table_args__ = (
        UniqueConstraint("person_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount"),
    )

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id"), primary_key=True
    )
    payment_no: Mapped[int] = mapped_column(Integer, primary_key=True)  # the person's 1, 2, ...
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(40))
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
