"""Tables of the National Database on Insurance that describe who people and units are.

Every person-scoped table leads its primary key with ``person_id`` so it can be hash-distributed
by person on a sharded PostgreSQL (Citus-style) and co-located with the person's other rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId


class Person(Base):
    """Group 1, basic personal data (thông tin cơ bản về nhân thân)."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("realm IN ('civil','defence','public_security')", name="realm"),
        CheckConstraint("sex IN ('male','female')", name="sex"),
    )

    # Deferred reference to the person's own book: a person without a book cannot commit.
    person_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey(
            "si_books.person_id",
            use_alter=True,
            deferrable=True,
            initially="DEFERRED",
            name="fk_persons_person_id_si_books",
        ),
        primary_key=True,
        autoincrement=True,
    )
    personal_id: Mapped[str] = mapped_column(String(12), unique=True)  # số định danh cá nhân
    legacy_si_code: Mapped[str | None] = mapped_column(String(10), unique=True)  # mã số BHXH
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(40), default="Kinh")
    nationality: Mapped[str] = mapped_column(String(2), default="VN")  # ISO 3166-1 alpha-2
    birth_registration_place: Mapped[str] = mapped_column(String(3))  # personal-ID prefix code
    hometown: Mapped[str | None] = mapped_column(String(200))
    permanent_residence: Mapped[str | None] = mapped_column(String(200))
    realm: Mapped[str] = mapped_column(String(16), default="civil", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonRelation(Base):
    """Father, mother, spouse, legal representative: a reference to a person, or a name and ID."""

    __tablename__ = "person_relations"
    __table_args__ = (
        CheckConstraint(
            "relation IN ('father','mother','spouse','legal_representative')", name="relation"
        ),
    )

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    relation: Mapped[str] = mapped_column(String(24), primary_key=True)
    related_person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("persons.person_id"))
    full_name: Mapped[str] = mapped_column(String(120))
    identity_number: Mapped[str | None] = mapped_column(String(20))  # ID or passport number


class Contact(Base):
    """Group 2, contact information."""

    __tablename__ = "contacts"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))


class Household(Base):
    """Group 3, household (hộ gia đình): address and code; members are in household_members."""

    __tablename__ = "households"

    household_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2))  # post-2025 province


class HouseholdMember(Base):
    """A person's membership of one household, keyed by person for co-location."""

    __tablename__ = "household_members"
    __table_args__ = (Index("ix_household_members_household", "household_id"),)

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(BigId, ForeignKey("households.household_id"))
    relation_to_head: Mapped[str] = mapped_column(String(30))  # "chủ hộ" = head


class Employer(Base):
    """Group 7, employer (đơn vị sử dụng lao động)."""

    __tablename__ = "employers"
    __table_args__ = (
        CheckConstraint("region IN ('I','II','III','IV')", name="region"),
        CheckConstraint("realm IN ('civil','defence','public_security')", name="realm"),
        CheckConstraint("salary_regime IN ('employer','state')", name="salary_regime"),
    )

    employer_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)  # enterprise / unit code
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(3))  # minimum-wage region of the workplace
    address: Mapped[str | None] = mapped_column(String(200))
    business_type: Mapped[str | None] = mapped_column(String(60))
    managing_office: Mapped[str | None] = mapped_column(String(5))  # 5-digit SS office code
    occupational_rate_bp: Mapped[int] = mapped_column(SmallInteger, default=50)  # 0.5% = 50 bp
    # A unit of the defence or public-security ministry is in its realm, as its people are: its
    # dues would tell its people's pay, so it is absent for everyone outside the realm.
    realm: Mapped[str] = mapped_column(String(16), default="civil", server_default="civil")
    # Who sets its workers' pay: the employer (an enterprise), or the state's salary scale (a
    # state agency or public unit paying by it): the years a pension averages differ (Law
    # 41/2024 Art 72; ``rules.pension.average_salary``).
    salary_regime: Mapped[str] = mapped_column(String(8), default="employer",
                                               server_default="employer")


class SalaryRegimeChange(Base):
    """A unit's salary regime from a month on, until its next row (``registry.regimes``): a
    public unit that became a company, or a regime registered wrong. Before its first row a
    unit's months are paid by ``Employer.salary_regime``, the regime it was registered with."""

    __tablename__ = "employer_salary_regimes"
    __table_args__ = (
        CheckConstraint("salary_regime IN ('employer','state')", name="salary_regime"),
    )

    employer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employers.employer_id"), primary_key=True
    )
    from_month: Mapped[int] = mapped_column(Integer, primary_key=True)  # Period.index
    salary_regime: Mapped[str] = mapped_column(String(8))


class SIProfile(Base):
    """Group 4, the person-level part of SI information (periods are in contributions)."""

    __tablename__ = "si_profiles"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    managing_office: Mapped[str | None] = mapped_column(String(5))
    participant_type: Mapped[str] = mapped_column(String(20))  # compulsory / voluntary / ...
    payment_method: Mapped[str] = mapped_column(String(20), default="monthly")
    tax_code: Mapped[str | None] = mapped_column(String(14))


class HICard(Base):
    """Group 5, HI coverage: one row per card validity interval.

    No foreign key to ``persons``, as the period tables (``contributions.store``): a filing
    issues cards in bulk to the persons it has just joined its lines to, and PostgreSQL's
    row-by-row check doubled the cost of that insert (migration 0008)."""

    __tablename__ = "hi_cards"
    __table_args__ = (CheckConstraint("benefit_level BETWEEN 1 AND 5", name="benefit_level"),)

    person_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(15))
    group_code: Mapped[str] = mapped_column(String(2))
    benefit_level: Mapped[int] = mapped_column(SmallInteger)
    province_code: Mapped[str] = mapped_column(String(2))
    initial_kcb_place: Mapped[str] = mapped_column(String(5))  # nơi đăng ký KCB ban đầu
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    five_years_from: Mapped[date | None] = mapped_column(Date)  # 5 consecutive years reached


class RegistryImport(Base):
    """A registry file imported, by the SHA-256 of its bytes: the same file again answers the
    first import instead of refusing every row as already registered (a re-upload after a
    crash, or a script's retry, must learn the file landed)."""

    __tablename__ = "registry_imports"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    employers: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


class PopulationCitizen(Base):
    """The embedded stand-in for the National Population Database (CSDL quốc gia về dân cư).

    The real database is queried through the HTTP adapter of ``PopulationRegistry``; this table
    backs the local adapter so the embedded default checks identities against seeded citizens.
    """

    __tablename__ = "population_citizens"

    personal_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
