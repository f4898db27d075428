"""si_profiles.managing_office: civil persons registered with no managing SI office get one

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 00:30:00.000000

A provincial clerk sees the persons of their province: by household, by current employer and by
the SI office managing them (``access.scope.in_province``). Registration now gives every civil
person an office; persons registered before it may have none (a NULL ``managing_office``,
or, imported from a registry file, no ``si_profiles`` row at all: it is written) and are then
seen by no provincial clerk once they have no household and no job. They get the office registration
would give them today (``registry.registration.register`` / ``office_for``): their current
employer's province's, else their household's province's, else that of the province where
their birth was registered (the personal ID's first three digits), each as merged in 2025.
Persons of the defence and public-security realms are their ministries' (Decree 164/2025,
FACTS §1.2) and keep what they have. A birth registered abroad with nothing else known keeps
no office: counted and logged, for an operator to place them.

Set-based (a national registry holds ~100 M persons): one UPDATE, then one INSERT ... SELECT
of the missing rows; the province codes are CASE expressions over the table below (1 M persons:
~25 s on PostgreSQL on a shared 2-core machine).
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# The 63 provinces before 1 July 2025: personal-ID prefix (Circular 07/2016/TT-BCA), code
# (Decision 124/2004/QD-TTg), and the code of the province it is part of since then (Decision
# 19/2025/QD-TTg). Copied from sibook/ids/provinces.csv, so that this revision does the same
# whatever that file later becomes (a test checks the two agree today). The merged code maps
# too: a current code is its own row, and codes are never reused.
MERGED = (
    ("001", "01", "01"),  # Hà Nội
    ("002", "02", "08"),  # Hà Giang -> Tuyên Quang
    ("004", "04", "04"),  # Cao Bằng
    ("006", "06", "19"),  # Bắc Kạn -> Thái Nguyên
    ("008", "08", "08"),  # Tuyên Quang
    ("010", "10", "15"),  # Lào Cai
    ("011", "11", "11"),  # Điện Biên
    ("012", "12", "12"),  # Lai Châu
    ("014", "14", "14"),  # Sơn La
    ("015", "15", "15"),  # Yên Bái -> Lào Cai
    ("017", "17", "25"),  # Hòa Bình -> Phú Thọ
    ("019", "19", "19"),  # Thái Nguyên
    ("020", "20", "20"),  # Lạng Sơn
    ("022", "22", "22"),  # Quảng Ninh
    ("024", "24", "24"),  # Bắc Giang -> Bắc Ninh
    ("025", "25", "25"),  # Phú Thọ
    ("026", "26", "25"),  # Vĩnh Phúc -> Phú Thọ
    ("027", "27", "24"),  # Bắc Ninh
    ("030", "30", "31"),  # Hải Dương -> Hải Phòng
    ("031", "31", "31"),  # Hải Phòng
    ("033", "33", "33"),  # Hưng Yên
    ("034", "34", "33"),  # Thái Bình -> Hưng Yên
    ("035", "35", "37"),  # Hà Nam -> Ninh Bình
    ("036", "36", "37"),  # Nam Định -> Ninh Bình
    ("037", "37", "37"),  # Ninh Bình
    ("038", "38", "38"),  # Thanh Hóa
    ("040", "40", "40"),  # Nghệ An
    ("042", "42", "42"),  # Hà Tĩnh
    ("044", "44", "44"),  # Quảng Bình -> Quảng Trị
    ("045", "45", "44"),  # Quảng Trị
    ("046", "46", "46"),  # Thừa Thiên Huế -> Huế
    ("048", "48", "48"),  # Đà Nẵng
    ("049", "49", "48"),  # Quảng Nam -> Đà Nẵng
    ("051", "51", "51"),  # Quảng Ngãi
    ("052", "52", "52"),  # Bình Định -> Gia Lai
    ("054", "54", "66"),  # Phú Yên -> Đắk Lắk
    ("056", "56", "56"),  # Khánh Hòa
    ("058", "58", "56"),  # Ninh Thuận -> Khánh Hòa
    ("060", "60", "68"),  # Bình Thuận -> Lâm Đồng
    ("062", "62", "51"),  # Kon Tum -> Quảng Ngãi
    ("064", "64", "52"),  # Gia Lai
    ("066", "66", "66"),  # Đắk Lắk
    ("067", "67", "68"),  # Đắk Nông -> Lâm Đồng
    ("068", "68", "68"),  # Lâm Đồng
    ("070", "70", "75"),  # Bình Phước -> Đồng Nai
    ("072", "72", "80"),  # Tây Ninh
    ("074", "74", "79"),  # Bình Dương -> TP Hồ Chí Minh
    ("075", "75", "75"),  # Đồng Nai
    ("077", "77", "79"),  # Bà Rịa - Vũng Tàu -> TP Hồ Chí Minh
    ("079", "79", "79"),  # TP Hồ Chí Minh
    ("080", "80", "80"),  # Long An -> Tây Ninh
    ("082", "82", "82"),  # Tiền Giang -> Đồng Tháp
    ("083", "83", "86"),  # Bến Tre -> Vĩnh Long
    ("084", "84", "86"),  # Trà Vinh -> Vĩnh Long
    ("086", "86", "86"),  # Vĩnh Long
    ("087", "87", "82"),  # Đồng Tháp
    ("089", "89", "91"),  # An Giang
    ("091", "91", "91"),  # Kiên Giang -> An Giang
    ("092", "92", "92"),  # Cần Thơ
    ("093", "93", "92"),  # Hậu Giang -> Cần Thơ
    ("094", "94", "92"),  # Sóc Trăng -> Cần Thơ
    ("095", "95", "96"),  # Bạc Liêu -> Cà Mau
    ("096", "96", "96"),  # Cà Mau
)

def _merged(code: str, by: int) -> str:
    """SQL: the 2025 province code for ``code`` (an SQL expression, evaluated once), read as
    column ``by`` of ``MERGED``; NULL for none. A CASE, not a join: it costs no lookup per
    person."""
    branches = " ".join(f"WHEN '{row[by]}' THEN '{row[2]}'" for row in MERGED)
    return f"CASE {code} {branches} END"


def _office_of(person: str) -> str:
    """SQL: the office registration would give the person whose id is the SQL ``person``: the
    current employer's province's (the newest period covering this month, as
    ``contributions.service.covering``), else the household's, else the birth province's;
    NULL when none is known. A province's own office is its code and 000
    (``registry.domain.provincial_office``)."""
    employer = f"""(SELECT e.province_code FROM si_periods s
           JOIN employers e ON e.employer_id = s.employer_id
          WHERE s.person_id = {person} AND s.from_month <= :month
            AND (s.to_month IS NULL OR s.to_month >= :month)
          ORDER BY s.from_month DESC, s.seq DESC LIMIT 1)"""
    household = f"""(SELECT h.province_code FROM household_members hm
           JOIN households h ON h.household_id = hm.household_id
          WHERE hm.person_id = {person})"""
    birth = f"(SELECT substr(b.personal_id, 1, 3) FROM persons b WHERE b.person_id = {person})"
    return (f"COALESCE({_merged(employer, 1)}, {_merged(household, 1)}, {_merged(birth, 0)})"
            " || '000'")


def upgrade() -> None:
    today = date.today()
    month = {"month": today.year * 12 + today.month - 1}  # as Period.index
    op.execute(sa.text(f"""
        UPDATE si_profiles SET managing_office = {_office_of("si_profiles.person_id")}
         WHERE managing_office IS NULL
           AND person_id IN (SELECT person_id FROM persons WHERE realm = 'civil')
    """).bindparams(**month))
    # Persons imported from a registry file before the import gave them a profile get the row
    # the import writes now (participant_type 'registered'), with their office (NULL for a
    # birth abroad, as rows written before registration required one). Not filtered on the
    # office: PostgreSQL would then compute it twice a person.
    op.execute(sa.text(f"""
        INSERT INTO si_profiles (person_id, managing_office, participant_type, payment_method)
        SELECT p.person_id, {_office_of("p.person_id")}, 'registered', 'monthly'
          FROM persons p
         WHERE p.realm = 'civil' AND NOT EXISTS (
               SELECT 1 FROM si_profiles sp WHERE sp.person_id = p.person_id)
    """).bindparams(**month))
    left = op.get_bind().scalar(sa.text("""
        SELECT count(*) FROM si_profiles sp JOIN persons p ON p.person_id = sp.person_id
         WHERE sp.managing_office IS NULL AND p.realm = 'civil'"""))
    if left:
        log.warning(
            "%s: %d civil person(s) still have no managing SI office: their birth was "
            "registered abroad and the registry holds no current employer or household for "
            "them, so no provincial clerk sees them; a national officer does, and a provincial "
            "one may place them in a household (SELECT personal_id FROM persons JOIN "
            "si_profiles USING (person_id) WHERE realm = 'civil' AND managing_office IS NULL)",
            revision, left)
    else:
        log.info("%s: every civil person has a managing SI office", revision)


def downgrade() -> None:
    # The offices stay. The revision before has the same columns and reads them as this one does;
    # the backfilled values cannot be told from those registered after the upgrade (nothing
    # marks them, and a marker column would change the schema for one downgrade); and
    # clearing them would hide these persons from every provincial clerk again.
    pass
