"""What a person's record must look like before the registry takes it (every door: CLI, API,
registry file): relations that name a valid other person, contacts that are contacts, a
nationality that is an ISO 3166-1 code and an ethnicity from the GSO's list of 54 groups."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import date

import pytest

from sibook.ids import make_personal_id
from sibook.registry.domain import office_code_problem
from sibook.registry.new_employer import NewEmployer, employer_problems
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold, household_problems
from sibook.registry.new_person import (
    FOREIGNER,
    NewPerson,
    RelatedPerson,
    person_problems,
    recorded_ethnicity,
)
from sibook.registry.schemas import (
    EmployerIn,
    HouseholdIn,
    ImportedPersonIn,
    PersonIn,
    PersonRegistrationIn,
)

TODAY = date(2026, 11, 27)
AN = make_personal_id("001", date(1989, 3, 2), "male", 12345)
MOTHER = make_personal_id("001", date(1962, 5, 1), "female", 777)
PERSON = NewPerson(personal_id=AN, full_name="Nguyễn Văn An", birth_date=date(1989, 3, 2),
                   sex="male", birth_registration_place="001")


def fields(person: NewPerson) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in person_problems(person, today=TODAY)]


def test_a_well_formed_person_has_no_problem() -> None:
    good = replace(PERSON, phone="+84 905 123 456", email="an@example.vn", relations=(
        RelatedPerson(relation="mother", full_name="Lê Thị Mai", personal_id=MOTHER),))
    assert fields(good) == []


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"relations": (RelatedPerson("spouse", "Nguyễn Văn An", AN),)}, "relations",
     "not their own spouse"),
    ({"relations": (RelatedPerson("mother", "Lê Thị Mai", "999999999999"),)}, "relations",
     "mother: "),
    ({"email": "not-an-email"}, "email", "not an e-mail address"),
    ({"phone": "abc"}, "phone", "not a phone number"),
])
def test_relations_and_contacts_are_checked(change: dict[str, object], field: str,
                                            words: str) -> None:
    found = fields(replace(PERSON, **change))  # type: ignore[arg-type]
    assert found and all(f == field for f, _ in found) and words in found[0][1], found


@pytest.mark.parametrize(("change", "words"), [
    ({"personal_id": "001227000001", "birth_date": date(2027, 1, 1)}, "in the future"),
    ({"personal_id": "abc", "birth_date": date(2027, 1, 1)}, "only the digits 0-9"),
    ({"personal_id": "003089012345", "sex": "M"}, "not a known place of birth registration"),
])
def test_the_personal_id_is_checked_when_the_birth_date_or_sex_is_refused(
        change: dict[str, object], words: str) -> None:
    """A birth date in the future (or a sex not male or female) cannot be compared with the
    ID, but the ID is still checked on its own: the answer named the birth date alone, and the
    ID's own fault only once that was mended."""
    found = fields(replace(PERSON, **change))  # type: ignore[arg-type]
    assert any(f == "personal_id" and words in reason for f, reason in found), found


def test_the_personal_id_is_checked_against_the_day_given() -> None:
    """A birth year after the day the registry checks against is in the future, whatever the
    machine's clock says."""
    pid = make_personal_id("001", date(2026, 11, 1), "female", 1)
    born = replace(PERSON, personal_id=pid, birth_date=date(2026, 11, 1), sex="female")
    assert fields(born) == []
    found = [(p.field, p.reason) for p in person_problems(born, today=date(2025, 12, 31))]
    assert ("personal_id", "the century digit 3 and year digits 26 give birth year 2026, "
            "which is in the future") in found, found


def test_the_nationalities_the_openapi_lists_are_those_the_registry_takes() -> None:
    # Any two capital letters were declared; the registry takes the codes ISO 3166-1 assigned.
    listed = PersonIn.model_json_schema()["properties"]["nationality"]["enum"]
    for code in (a + b for a in string.ascii_uppercase for b in string.ascii_uppercase):
        taken = "nationality" not in [f for f, _ in fields(replace(PERSON, nationality=code))]
        assert (code in listed) == taken, code


@pytest.mark.parametrize("phone", [
    "0912 345 678", "+84-912.345.678", "024 3826 1234",
    "abc", "0912\n345678", "+84", "0912 345 67-", "１２３４５６７８"])  # full-width digits
def test_a_phone_the_openapi_declares_is_one_the_registry_takes(phone: str) -> None:
    # The OpenAPI declared any text of 20 characters; the registry took only these.
    declared = PersonIn.model_json_schema()["properties"]["phone"]["pattern"]
    taken = not fields(replace(PERSON, phone=phone))
    assert (re.search(declared, phone) is not None) == taken


@pytest.mark.parametrize("nationality", ["XX", "Vietnam", "vn", "VNM", "XK"])
def test_a_nationality_that_is_no_iso_3166_code_is_refused(nationality: str) -> None:
    found = fields(replace(PERSON, nationality=nationality))
    assert [f for f, _ in found] == ["nationality"]
    assert "ISO 3166-1 alpha-2" in found[0][1] and repr(nationality) in found[0][1]


def test_an_ethnicity_outside_the_54_groups_is_refused_naming_the_list() -> None:
    found = fields(replace(PERSON, ethnicity="Martian"))
    assert found == [("ethnicity", "'Martian' is not one of Vietnam's 54 ethnic groups "
                                   "(General Statistics Office list: Kinh, Tày, Thái, ...)")]


def test_a_vietnamese_citizen_is_not_recorded_as_a_foreigner() -> None:
    found = fields(replace(PERSON, ethnicity=FOREIGNER))
    assert [f for f, _ in found] == ["ethnicity"] and "for a foreign national" in found[0][1]


@pytest.mark.parametrize(("ethnicity", "recorded"), [
    (None, "Kinh"), ("Tày", "Tày"), ("Gia-rai", "Gia Rai"), ("Mông", "H'Mông"),
])
def test_a_vietnamese_citizen_is_recorded_in_the_gso_spelling(ethnicity: str | None,
                                                              recorded: str) -> None:
    person = replace(PERSON, ethnicity=ethnicity)
    assert fields(person) == [] and recorded_ethnicity(person) == recorded


@pytest.mark.parametrize(("ethnicity", "recorded"), [
    (None, FOREIGNER), ("người nước ngoài", FOREIGNER), ("Hoa", "Hoa"),
])
def test_a_foreign_national_is_a_foreigner_unless_of_one_of_the_groups(
        ethnicity: str | None, recorded: str) -> None:
    person = replace(PERSON, nationality="KR", ethnicity=ethnicity)
    assert fields(person) == [] and recorded_ethnicity(person) == recorded


def test_a_foreign_national_of_no_known_group_is_told_both_choices() -> None:
    found = fields(replace(PERSON, nationality="KR", ethnicity="Korean"))
    assert [f for f, _ in found] == ["ethnicity"] and repr(FOREIGNER) in found[0][1]


def test_an_ethnicity_too_long_to_store_is_refused_once() -> None:
    assert [f for f, _ in fields(replace(PERSON, ethnicity="K" * 41))] == ["ethnicity"]


@pytest.mark.parametrize("name", ["Lê\u2028Văn", "Lê\u2029Văn", "Lê\u202eVăn", "Lê\nVăn"])
def test_a_name_that_breaks_a_line_is_refused(name: str) -> None:
    """U+2028 and U+2029 break a printed line as a newline does."""
    found = fields(replace(PERSON, full_name=name))
    assert found == [("full_name", "must not contain control characters (line breaks, tabs, "
                                   "...)")]


def test_an_employer_or_household_name_that_breaks_a_line_is_refused() -> None:
    employer = NewEmployer(code="0101234567", name="Công ty\u2028An", province_code="01",
                           region="I")
    assert [p.field for p in employer_problems(employer)] == ["name"]
    household = NewHousehold(code="HN1", address="Phố\u2029Huế", province_code="01",
                             members=(HouseholdMemberIn(AN, "chủ hộ"),))
    assert [p.field for p in household_problems(household)] == ["address"]


@pytest.mark.parametrize("code", [f"{n:02d}" for n in range(100)])
def test_the_province_codes_the_openapi_lists_are_those_the_registry_takes(code: str) -> None:
    # A unit or a household is placed in one of the 34 provinces since 2025; any two digits
    # were declared.
    employer = NewEmployer(code="0101234567", name="Công ty An", province_code=code,
                           region="I")
    household = NewHousehold(code="HN1", address="Hà Nội", province_code=code,
                             members=(HouseholdMemberIn(AN, "chủ hộ"),))
    taken = {"province_code" not in [p.field for p in employer_problems(employer)],
             "province_code" not in [p.field for p in household_problems(household)]}
    for model in (EmployerIn, HouseholdIn):
        listed = model.model_json_schema()["properties"]["province_code"]["enum"]
        assert taken == {code in listed}


@pytest.mark.parametrize("code", [*(f"{n:02d}000" for n in range(100)), "01", "0100a",
                                  "１２０００"])
def test_the_office_codes_the_openapi_declares_are_those_the_registry_takes(code: str) -> None:
    # Any five digits were declared; an office is in one of the 34 provinces since 2025.
    for model in (PersonRegistrationIn, ImportedPersonIn):
        declared = model.model_json_schema()["properties"]["managing_office"]["pattern"]
        assert (re.search(declared, code) is not None) == (office_code_problem(code) is None)
