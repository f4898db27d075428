"""Personal ID (số định danh cá nhân): PPP G YY RRRRRR, Decree 137/2015 Art 13."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.ids import (
    check_consistency,
    historical_provinces,
    is_valid_id_prefix,
    make_personal_id,
    parse_personal_id,
    personal_id_problems,
)

TODAY = date(2026, 1, 15)


def test_man_born_1989_in_hanoi_parses() -> None:
    pid = parse_personal_id("001089012345", today=TODAY)
    assert (pid.prefix, pid.sex, pid.birth_year, pid.serial) == ("001", "male", 1989, 12345)


def test_female_born_2001_has_century_digit_3() -> None:
    assert make_personal_id("079", date(2001, 5, 2), "female", 7)[3] == "3"


def test_male_born_1999_has_century_digit_0() -> None:
    assert make_personal_id("079", date(1999, 12, 31), "male", 7)[3] == "0"


def test_female_born_1950_has_century_digit_1() -> None:
    assert make_personal_id("001", date(1950, 1, 1), "female", 7)[3] == "1"


def test_century_digit_2_reads_as_a_man_born_in_the_2000s() -> None:
    pid = parse_personal_id("048205000001", today=TODAY)
    assert (pid.sex, pid.birth_year) == ("male", 2005)


def test_made_id_lays_out_prefix_digit_year_and_serial() -> None:
    assert make_personal_id("036", date(1975, 4, 30), "male", 42) == "036075000042"


def test_birth_registered_abroad_uses_a_country_code() -> None:
    assert parse_personal_id("175190000001", today=TODAY).prefix == "175"


def test_unknown_birth_registration_code_is_refused() -> None:
    [problem] = personal_id_problems("003089012345", today=TODAY)
    assert problem.field == "personal_id"
    assert "003" in problem.reason
    # 003 lies between 001 and 096 but is no province's code: the reason must not suggest
    # that every number of that range is one.
    assert "63 province codes" in problem.reason and "not every number" in problem.reason


def test_birth_year_in_the_future_is_refused() -> None:
    [problem] = personal_id_problems("001330000001", today=TODAY)
    assert "2030" in problem.reason


@pytest.mark.parametrize("value", ["00108901234", "0010890123456", "00108901234a", "",
                                   "001 89012345", "００１０８９０１２３４５"])
def test_value_not_of_twelve_ascii_digits_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        parse_personal_id(value, today=TODAY)


def test_full_width_digits_are_named_as_such() -> None:
    [problem] = personal_id_problems("００１０８９０１２３４５")
    assert "0-9" in problem.reason and "full-width" in problem.reason


def test_all_63_historical_prefixes_are_valid_after_the_merger() -> None:
    assert all(is_valid_id_prefix(p.id_prefix) for p in historical_provinces())


def test_unused_prefixes_between_province_codes_are_not_valid() -> None:
    assert not any(is_valid_id_prefix(p) for p in ("000", "003", "097", "100", "296", "999"))


def test_consistent_id_has_no_problems() -> None:
    assert check_consistency("001089012345", date(1989, 3, 2), "male") == []


def test_id_of_a_man_contradicts_recorded_female_sex() -> None:
    [problem] = check_consistency("001089012345", date(1989, 3, 2), "female")
    assert problem.field == "sex"
    assert "male" in problem.reason


def test_id_of_someone_born_1989_contradicts_birth_date_in_1990() -> None:
    [problem] = check_consistency("001089012345", date(1990, 3, 2), "male")
    assert problem.field == "birth_date"
    assert "1989" in problem.reason


def test_same_two_digit_year_in_another_century_is_a_birth_date_mismatch() -> None:
    [problem] = check_consistency("001089012345", date(2089, 3, 2), "male")
    assert problem.field == "birth_date"


def test_sex_other_than_male_or_female_is_reported_as_such() -> None:
    [problem] = check_consistency("001089012345", date(1989, 3, 2), "M")
    assert (problem.field, problem.reason) == ("sex", "must be male or female, not 'M'")


def test_consistency_check_of_a_malformed_id_reports_the_id() -> None:
    [problem] = check_consistency("12345", date(1989, 3, 2), "male")
    assert problem.field == "personal_id"


@pytest.mark.parametrize("serial", [-1, 1_000_000])
def test_serial_outside_six_digits_cannot_be_made(serial: int) -> None:
    with pytest.raises(ValueError):
        make_personal_id("001", date(1989, 1, 1), "male", serial)


def test_unknown_prefix_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        make_personal_id("003", date(1989, 1, 1), "male", 1)


def test_sex_other_than_male_or_female_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        make_personal_id("001", date(1989, 1, 1), "M", 1)


def test_birth_before_1900_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        make_personal_id("001", date(1899, 12, 31), "male", 1)


_prefixes = st.sampled_from([p.id_prefix for p in historical_provinces()] + ["101", "295"])


@given(prefix=_prefixes, birth=st.dates(date(1900, 1, 1), TODAY),
       sex=st.sampled_from(["male", "female"]), serial=st.integers(0, 999_999))
def test_made_id_parses_back_to_what_made_it(prefix: str, birth: date, sex: str,
                                              serial: int) -> None:
    value = make_personal_id(prefix, birth, sex, serial)
    pid = parse_personal_id(value, today=TODAY)
    assert (pid.prefix, pid.birth_year, pid.sex, pid.serial) == (prefix, birth.year, sex, serial)
    assert check_consistency(value, birth, sex) == []
