"""Participation periods, stored the way the paper book's loose sheets (tờ rời) show them.

One row per unchanged stretch (from-month, to-month, employer, job, salary basis, allowances,
rates), never one row per person-month: 20 M people x 30 years stays in the hundreds of
millions of rows. Months are stored as ``Period.index`` integers so ranges compare and subtract
cheaply on both backends. Keys lead with ``person_id`` for hash distribution by person.

The period tables carry no foreign keys to ``persons`` or ``employers``: PostgreSQL checks a
foreign key row by row (a query and a parent-row lock each), which made bulk filings more than
twice slower (bench/RESULTS.md). Every write path resolves both set-based first (a filing joins
its lines to ``persons`` and locks its employer's row; the seeder writes its own ids), and
neither persons nor employers are ever deleted, so the references cannot dangle.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from sibook.contributions.domain import JOB_TITLE_MAX
from sibook.core.db import Base, BigId, Int64

SI_KINDS = ("compulsory", "voluntary", "foreign")


class SIPeriod(Base):
    """Group 4, SI participation (quá trình đóng BHXH)."""

    __tablename__ = "si_periods"
    __table_args__ = (
        CheckConstraint("kind IN ('compulsory','voluntary','foreign')", name="kind"),
        CheckConstraint("to_month IS NULL OR to_month >= from_month", name="range"),
        CheckConstraint("salary_basis > 0 AND allowances >= 0", name="amounts"),
        Index("ix_si_periods_employer_open", "employer_id", "to_month"),
    )

    person_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    from_month: Mapped[int] = mapped_column(Integer)  # Period.index
    to_month: Mapped[int | None] = mapped_column(Integer)  # None: still open
    kind: Mapped[str] = mapped_column(String(12))
    employer_id: Mapped[int | None] = mapped_column(BigId)
    job_title: Mapped[str | None] = mapped_column(String(JOB_TITLE_MAX))
    # VND/month as the contract states it, uncapped (declared income if voluntary)
    salary_basis: Mapped[int] = mapped_column(Int64)
    allowances: Mapped[int] = mapped_column(Int64, default=0)  # VND/month counted in the basis
    occupational_rate_bp: Mapped[int] = mapped_column(SmallInteger, default=0)
    support_group: Mapped[str | None] = mapped_column(String(16))  # voluntary state support
    closed_by: Mapped[str | None] = mapped_column(String(2))  # the case code that ended it
    # The month of a GH filed during the sick or maternity leave (OF, TS) that ended it: the
    # worker left then, and the leave's months end the month before (``staged_leave``).
    left_from: Mapped[int | None] = mapped_column(Integer)


class UIPeriod(Base):
    """Group 6, UI participation (quá trình đóng BHTN)."""

    __tablename__ = "ui_periods"
    __table_args__ = (CheckConstraint("to_month IS NULL OR to_month >= from_month", name="range"),)

    person_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    from_month: Mapped[int] = mapped_column(Integer)
    to_month: Mapped[int | None] = mapped_column(Integer)
    employer_id: Mapped[int] = mapped_column(BigId)
    salary_basis: Mapped[int] = mapped_column(Int64)


class UIReserve(Base):
    """Group 6: UI contribution time reserved (bảo lưu) after the last benefit."""

    __tablename__ = "ui_reserves"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    reserved_months: Mapped[int] = mapped_column(Integer, default=0)


class PaymentCycle(Base):
    """An employer's payment method from a month on, until its next row (``cycles``): monthly,
    or once every 3 or 6 months (Law 41/2024/QH15 Art 33(1)(b)). No row: monthly."""

    __tablename__ = "employer_payment_cycles"
    __table_args__ = (CheckConstraint("months IN (1, 3, 6)", name="months"),)

    employer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employers.employer_id"), primary_key=True
    )
    from_month: Mapped[int] = mapped_column(Integer, primary_key=True)  # Period.index
    months: Mapped[int] = mapped_column(SmallInteger)
