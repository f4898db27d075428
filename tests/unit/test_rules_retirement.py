"""Retirement age and date against Decree 135/2020/ND-CP Appendix I (lộ trình tuổi nghỉ hưu
gắn với tháng, năm sinh): each band's first and last birth month, its age and the month the
pension starts. The yearly ages are Art 4's (FACTS §4.1; hddtvn.com's copy of the decree); the
birth-month bands were checked against public reproductions of the appendix (men born
1961-01..09: 60y3m, 1961-10..1962-06: 60y6m; women 1966-01..08: 55y4m, 1966-09..1967-04:
55y8m; the last bands from 1966-04 and 1975-05) and follow from Art 3 and 4 for the rest."""

from __future__ import annotations

from datetime import date

import pytest

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import retirement_age, retirement_date

# (sex, first birth month, last birth month, age "Y-M", first pension month, last pension month)
APPENDIX_I = [
    ("male", "1961-01", "1961-09", "60-3", "2021-05", "2022-01"),
    ("male", "1961-10", "1962-06", "60-6", "2022-05", "2023-01"),
    ("male", "1962-07", "1963-03", "60-9", "2023-05", "2024-01"),
    ("male", "1963-04", "1963-12", "61-0", "2024-05", "2025-01"),
    ("male", "1964-01", "1964-09", "61-3", "2025-05", "2026-01"),
    ("male", "1964-10", "1965-06", "61-6", "2026-05", "2027-01"),
    ("male", "1965-07", "1966-03", "61-9", "2027-05", "2028-01"),
    ("male", "1966-04", "1990-12", "62-0", "2028-05", "2053-01"),
    ("female", "1966-01", "1966-08", "55-4", "2021-06", "2022-01"),
    ("female", "1966-09", "1967-04", "55-8", "2022-06", "2023-01"),
    ("female", "1967-05", "1967-12", "56-0", "2023-06", "2024-01"),
    ("female", "1968-01", "1968-08", "56-4", "2024-06", "2025-01"),
    ("female", "1968-09", "1969-04", "56-8", "2025-06", "2026-01"),
    ("female", "1969-05", "1969-12", "57-0", "2026-06", "2027-01"),
    ("female", "1970-01", "1970-08", "57-4", "2027-06", "2028-01"),
    ("female", "1970-09", "1971-04", "57-8", "2028-06", "2029-01"),
    ("female", "1971-05", "1971-12", "58-0", "2029-06", "2030-01"),
    ("female", "1972-01", "1972-08", "58-4", "2030-06", "2031-01"),
    ("female", "1972-09", "1973-04", "58-8", "2031-06", "2032-01"),
    ("female", "1973-05", "1973-12", "59-0", "2032-06", "2033-01"),
    ("female", "1974-01", "1974-08", "59-4", "2033-06", "2034-01"),
    ("female", "1974-09", "1975-04", "59-8", "2034-06", "2035-01"),
    ("female", "1975-05", "1995-12", "60-0", "2035-06", "2056-01"),
]
CASES = [(sex, born, age, pension) for sex, first, last, age, from_, to in APPENDIX_I
         for born, pension in ((first, from_), (last, to))]


@pytest.mark.parametrize(("sex", "born", "age", "pension"), CASES)
def test_each_band_of_appendix_i_gives_its_age_and_pension_month(
        sex: str, born: str, age: str, pension: str) -> None:
    years, months = (int(x) for x in age.split("-"))
    result = retirement_age(sex=sex, birth_date=Period.parse(born).first_day.replace(day=15))
    assert result.age_months == years * 12 + months
    assert str(result.pension_from) == pension


def test_a_man_born_on_15_march_1964_retires_on_30_june_2025() -> None:
    # 61y3m (born January-September 1964): reached in June 2025, retired at its end.
    assert retirement_date(sex="male", birth_date=date(1964, 3, 15)) == date(2025, 6, 30)


def test_the_pension_starts_the_first_day_of_the_month_after_the_age_is_reached() -> None:
    result = retirement_age(sex="female", birth_date=date(1969, 2, 28))  # 56y8m
    assert (result.reached, result.pension_from) == (Period(2025, 10), Period(2025, 11))
    assert not result.reached_on(date(2025, 10, 31))
    assert result.reached_on(date(2025, 11, 1))


def test_an_age_reached_before_2021_is_the_earlier_codes_60_or_55() -> None:
    assert retirement_age(sex="male", birth_date=date(1960, 12, 31)).age_months == 60 * 12
    assert retirement_date(sex="female", birth_date=date(1965, 6, 1)) == date(2020, 6, 30)


def test_the_answer_names_its_age_and_sources() -> None:
    result = retirement_age(sex="male", birth_date=date(1965, 7, 1))
    assert result.as_dict() == {"age": "61 years 9 months", "retirement_date": "2027-04-30",
                                "pension_from": "2027-05"}
    assert any("Decree 135/2020" in s for s in result.explanation.sources)


def test_a_birth_before_the_tables_is_refused_by_birth_date() -> None:
    with pytest.raises(ValidationError) as caught:
        retirement_age(sex="male", birth_date=date(1930, 5, 1))
    assert caught.value.problems[0].field == "birth_date"


def test_an_unknown_sex_is_refused_naming_the_values() -> None:
    with pytest.raises(ValidationError, match="valid: male, female"):
        retirement_age(sex="other", birth_date=date(1970, 1, 1))
