"""What a person's record must look like before the registry takes it (every door: CLI, API,
registry file): relations that name a valid other person, and contacts that are contacts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from sibook.ids import make_personal_id
from sibook.registry.domain import NewPerson, RelatedPerson, person_problems

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
