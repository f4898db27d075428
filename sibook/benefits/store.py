"""Claims and decisions, append-only (migration 0011 installs the triggers on both backends).

Keys lead with ``person_id``, as every person-scoped table's. A dossier number is unique across
the country (``dossier_key``: upper case, as receipts print it in either case), so the same
dossier received twice is one claim; a claim has at most one decision (its primary key), so a
benefit cannot be settled twice. A decision is final here: an appeal is a new claim.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId

APPEND_ONLY = ("benefit_claims", "benefit_decisions")


class BenefitClaim(Base):
    """A dossier claiming a benefit, as received."""

    __tablename__ = "benefit_claims"
    __table_args__ = (
        CheckConstraint("regime IN ('sickness','maternity','occupational','pension',"
                        "'survivorship','lump_sum','unemployment')", name="regime"),
    )

    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.person_id"),
                                           primary_key=True)
    claim_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    regime: Mapped[str] = mapped_column(String(16))
    dossier_no: Mapped[str] = mapped_column(String(40))
    dossier_key: Mapped[str] = mapped_column(String(40), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    event_from: Mapped[date | None] = mapped_column(Date)
    event_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    ground: Mapped[str | None] = mapped_column(String(16))  # one-time withdrawal: Art 70 a-f
    # A pension before the statutory age (Law 41/2024 Art 65): the assessed loss of working
    # capacity and the years in especially heavy or hazardous jobs (migration 0016).
    capacity_loss_percent: Mapped[int | None] = mapped_column(SmallInteger, CheckConstraint(
        "capacity_loss_percent BETWEEN 1 AND 100", name="capacity_loss_percent"))
    hazardous_years: Mapped[int | None] = mapped_column(SmallInteger, CheckConstraint(
        "hazardous_years BETWEEN 1 AND 60", name="hazardous_years"))
    # A mother's maternity claim after leave for infertility treatment: her 6 months are looked
    # for in the 24 before the birth (FACTS §4.4; migration 0025). True, or null: it does not.
    infertility_treatment: Mapped[bool | None] = mapped_column(Boolean)
    # An occupational claim: a work accident or a disease; a disease's code (Circular
    # 15/2016/TT-BYT appendix) and form, and the last month of exposure (Period.index), from
    # which its guarantee period runs (Law 84/2015/QH13 Art 46(2); migration 0026).
    occupational_kind: Mapped[str | None] = mapped_column(String(8), CheckConstraint(
        "occupational_kind IN ('accident','disease')", name="occupational_kind"))
    disease_code: Mapped[int | None] = mapped_column(SmallInteger)
    disease_form: Mapped[str | None] = mapped_column(String(40))
    exposure_ended: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


class BenefitDecision(Base):
    """The decision on a claim: settled (what is paid) or refused (why)."""

    __tablename__ = "benefit_decisions"
    __table_args__ = (
        ForeignKeyConstraint(["person_id", "claim_no"],
                             ["benefit_claims.person_id", "benefit_claims.claim_no"]),
        CheckConstraint("outcome IN ('settled','refused')", name="outcome"),
        CheckConstraint("(amount IS NULL OR amount > 0) AND (monthly_amount IS NULL OR "
                        "monthly_amount > 0) AND months_settled >= 0", name="amounts"),
    )

    person_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(8))
    decided_on: Mapped[date] = mapped_column(Date)
    decision_no: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    monthly_amount: Mapped[int | None] = mapped_column(BigInteger)
    from_month: Mapped[int | None] = mapped_column(Integer)  # Period.index
    months: Mapped[int | None] = mapped_column(SmallInteger)
    days: Mapped[int | None] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(300))
    months_settled: Mapped[int] = mapped_column(Integer, default=0)
    # A pension's revalued average salary as its dossier establishes it, when the decision
    # states one: its amounts were checked against it, not the book's (migration 0019).
    average_salary: Mapped[int | None] = mapped_column(BigInteger, CheckConstraint(
        "average_salary > 0", name="average_salary"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
