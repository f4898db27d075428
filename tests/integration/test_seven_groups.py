"""The seven information groups of Decree 164 round-trip through the store, on both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from sibook.contributions.store import SIPeriod, UIPeriod
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson, RelatedPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import EmploymentStart, register
from sibook.registry.store import (
    Contact,
    Employer,
    HICard,
    Household,
    HouseholdMember,
    Person,
    PersonRelation,
    SIProfile,
)

UNIT = make_enterprise_code(31, "79")
MAI = make_personal_id("079", date(1992, 8, 19), "female", 4321)
TODAY = date(2026, 3, 10)


def test_every_group_reads_back_as_written(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=UNIT, name="Công ty TNHH Hòa Bình", province_code="79", region="I",
            address="Số 5 Nguyễn Huệ, TP Hồ Chí Minh", business_type="Thương mại"))
        register(session=s, person=NewPerson(
            personal_id=MAI, full_name="Võ Thị Mai", birth_date=date(1992, 8, 19), sex="female",
            birth_registration_place="079", ethnicity="Hoa", hometown="Bình Định",
            permanent_residence="Quận 1, TP Hồ Chí Minh", phone="0908123456",
            email="mai@example.vn", address="Số 9 Lê Lợi",
            relations=(RelatedPerson("mother", "Lê Thị Lan"),
                       RelatedPerson("father", "Võ Văn Hùng"))),
            population=LocalPopulationRegistry(s), require_match=False, today=TODAY,
            employment=EmploymentStart(UNIT, 12_000_000, 800_000, "Kế toán", Period(2026, 3)))
        service.add_household(session=s, household=NewHousehold(
            code="HGD-79-0001", address="Số 9 Lê Lợi", province_code="79",
            members=(HouseholdMemberIn(MAI, "chủ hộ"),)))
    with unit_of_work(engine) as s:
        person = s.scalars(select(Person).where(Person.personal_id == MAI)).one()
        pid = person.person_id
        # 1 basic personal data, with the parents' references
        assert (person.full_name, person.birth_date, person.sex, person.ethnicity,
                person.hometown, person.realm) == (
            "Võ Thị Mai", date(1992, 8, 19), "female", "Hoa", "Bình Định", "civil")
        relations = {r.relation: r.full_name for r in
                     s.scalars(select(PersonRelation).where(PersonRelation.person_id == pid))}
        assert relations == {"mother": "Lê Thị Lan", "father": "Võ Văn Hùng"}
        # 2 contact
        contact = s.get(Contact, pid)
        assert contact is not None and (contact.phone, contact.email) == (
            "0908123456", "mai@example.vn")
        # 3 household and members
        member = s.get(HouseholdMember, pid)
        assert member is not None and member.relation_to_head == "chủ hộ"
        household = s.get(Household, member.household_id)
        assert household is not None and household.code == "HGD-79-0001"
        # 4 SI: profile and the period opened by the registration's TM line
        profile = s.get(SIProfile, pid)
        assert profile is not None and profile.participant_type == "compulsory"
        si = s.scalars(select(SIPeriod).where(SIPeriod.person_id == pid)).one()
        assert (si.from_month, si.to_month, si.salary_basis, si.allowances, si.job_title) == (
            Period(2026, 3).index, None, 12_000_000, 800_000, "Kế toán")
        # 5 HI card: employees are group DN, level 4
        card = s.scalars(select(HICard).where(HICard.person_id == pid)).one()
        assert (card.group_code, card.benefit_level, card.province_code, card.valid_from) == (
            "DN", 4, "79", date(2026, 3, 1))
        # 6 UI: a Vietnamese employee's UI basis includes the allowances
        ui = s.scalars(select(UIPeriod).where(UIPeriod.person_id == pid)).one()
        assert (ui.from_month, ui.salary_basis) == (Period(2026, 3).index, 12_800_000)
        # 7 employer
        employer = s.scalars(select(Employer).where(Employer.code == UNIT)).one()
        assert (employer.name, employer.region, employer.business_type) == (
            "Công ty TNHH Hòa Bình", "I", "Thương mại")
