"""``inspect``: the JSON answer of ``sibook ids inspect`` (CONTRACT.md, "Identifiers")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sibook.ids import inspect, make_personal_id, make_si_code

TODAY = date(2026, 1, 15)


def test_contract_example_personal_id() -> None:
    assert inspect("001089012345", today=TODAY) == {
        "value": "001089012345", "kind": "personal_id", "valid": True, "errors": [],
        "province_code": "001", "sex": "male", "birth_year": 1989,
    }


def test_valid_hi_card_reports_its_parts() -> None:
    assert inspect("HT3010123456789") == {
        "value": "HT3010123456789", "kind": "hi_card", "valid": True, "errors": [],
        "province_code": "01", "sex": None, "birth_year": None,
        "group_code": "HT", "benefit_level": 3, "si_code": "0123456789",
    }


def test_ten_digits_are_a_legacy_si_code() -> None:
    assert inspect("0123456789") == {"value": "0123456789", "kind": "si_code", "valid": True,
                                     "errors": [], "province_code": None, "sex": None,
                                     "birth_year": None}


def test_personal_id_with_unknown_prefix_keeps_its_kind_but_is_invalid() -> None:
    answer = inspect("003089012345", today=TODAY)
    assert (answer["kind"], answer["valid"]) == ("personal_id", False)
    assert len(answer["errors"]) == 1 and "003" in answer["errors"][0]


def test_woman_born_2001_reads_as_female_with_birth_year_2001() -> None:
    answer = inspect("079301000123", today=TODAY)
    assert (answer["sex"], answer["birth_year"]) == ("female", 2001)


def test_invalid_hi_card_lists_every_reason() -> None:
    answer = inspect("ZZ9037901234567")
    assert answer["kind"] == "hi_card" and not answer["valid"]
    assert len(answer["errors"]) == 3


def test_surrounding_whitespace_is_no_part_of_the_value_answered() -> None:
    answer = inspect(" 001089012345\n", today=TODAY)
    assert (answer["value"], answer["kind"], answer["valid"]) == ("001089012345",
                                                                 "personal_id", True)


def test_a_value_of_no_known_shape_is_answered_without_the_spaces_around_it() -> None:
    assert inspect("\t12345 ")["value"] == "12345"


@pytest.mark.parametrize("value", ["dn4797901234567", "Dn4797901234567", "dN4797901234567"])
def test_lowercase_hi_group_letters_are_an_hi_card_that_is_not_valid(value: str) -> None:
    """FACTS.md 5.3 (Decision 1351/QD-BHXH): the number is ``^[A-Z]{2}[1-5]\\d{2}\\d{10}$``."""
    answer = inspect(value)
    assert (answer["kind"], answer["valid"], answer["group_code"]) == ("hi_card", False, value[:2])
    assert answer["errors"] == [f"the group letters must be upper case: DN, not {value[:2]}"]


@pytest.mark.parametrize(("value", "words"), [
    ("", "empty"),
    ("   ", "empty"),
    ("DN 4 79 7901234567", "spaces"),
    ("００１０８９０１２３４５", "0-9"),
    ("١٢٣٤٥٦٧٨٩٠", "0-9"),
    ("12345", "5 digits"),
    ("hello", "known shape"),
    ("123456789012345", "15 digits"),
])
def test_value_of_no_known_shape_has_kind_null_and_a_reason(value: str, words: str) -> None:
    answer = inspect(value)
    assert answer == {"value": value.strip(), "kind": None, "valid": False,
                      "errors": answer["errors"], "province_code": None, "sex": None,
                      "birth_year": None}
    assert len(answer["errors"]) == 1 and words in answer["errors"][0]


@given(st.text(max_size=20))
def test_any_text_gets_an_answer_whose_validity_matches_its_errors(value: str) -> None:
    answer = inspect(value)
    assert answer["kind"] in (None, "personal_id", "si_code", "hi_card")
    assert answer["valid"] == (answer["errors"] == [])
    assert all(isinstance(e, str) and e for e in answer["errors"])


@given(birth=st.dates(date(1900, 1, 1), TODAY), sex=st.sampled_from(["male", "female"]),
       serial=st.integers(0, 999_999))
def test_made_personal_id_inspects_as_valid_with_its_facts(birth: date, sex: str,
                                                            serial: int) -> None:
    answer = inspect(make_personal_id("092", birth, sex, serial), today=TODAY)
    assert answer["valid"] and (answer["sex"], answer["birth_year"]) == (sex, birth.year)


@given(st.integers(0, 10**10 - 1))
def test_made_si_code_inspects_as_a_valid_si_code(n: int) -> None:
    answer = inspect(make_si_code(n))
    assert (answer["kind"], answer["valid"]) == ("si_code", True)
