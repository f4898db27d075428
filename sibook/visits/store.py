"""HI visits, in the HI information group (migration 0014), and their annulments (migration
0015): append-only, as the ledger and the benefits are (a claim recorded is never rewritten;
another content under its key is refused; a wrong one is annulled by a row of its own).

The key leads with ``person_id``, as every person-scoped table's; a facility's link code
(MA_LK) names one treatment, so (facility, link code) is unique across the country.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId

APPEND_ONLY = ("hi_visits", "hi_visit_annulments")


class HIVisit(Base):
    """One visit a facility claimed for (XML1 of Decision 130/QĐ-BYT)."""

    __tablename__ = "hi_visits"
    __table_args__ = (
        UniqueConstraint("facility_code", "link_code", name="uq_hi_visits_facility_link"),
        CheckConstraint("total_cost >= 0 AND hi_paid >= 0 AND patient_paid >= 0 "
                        "AND hi_paid + patient_paid <= total_cost", name="amounts"),
        CheckConstraint("discharged_at >= admitted_at", name="stay"),
    )

    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.person_id"),
                                           primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5), primary_key=True)  # MA_CSKCB
    link_code: Mapped[str] = mapped_column(String(100), primary_key=True)  # MA_LK
    card_number: Mapped[str] = mapped_column(String(160))  # MA_THE_BHYT (';' between cards)
    # NGAY_VAO, NGAY_RA: the facility's local time (Vietnam), as the claim writes it.
    admitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    discharged_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    diagnosis: Mapped[str] = mapped_column(String(10))  # MA_BENH_CHINH, ICD-10
    visit_type: Mapped[str] = mapped_column(String(2))  # MA_LOAI_KCB
    total_cost: Mapped[int] = mapped_column(BigInteger)  # T_TONGCHI_BV, VND
    hi_paid: Mapped[int] = mapped_column(BigInteger)  # T_BHTT
    patient_paid: Mapped[int] = mapped_column(BigInteger)  # T_BNCCT
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                               server_default=func.now())


class HIVisitAnnulment(Base):
    """A visit annulled (hủy) as recorded wrongly, by the facility that filed it or an officer:
    the visit stays as filed, and this row takes it out of the person's own lists. One a visit,
    never undone (its key is the visit's)."""

    __tablename__ = "hi_visit_annulments"
    __table_args__ = (
        ForeignKeyConstraint(["person_id", "facility_code", "link_code"],
                             ["hi_visits.person_id", "hi_visits.facility_code",
                              "hi_visits.link_code"]),
    )

    person_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    link_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    annulled_by: Mapped[str] = mapped_column(String(64))
    annulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
