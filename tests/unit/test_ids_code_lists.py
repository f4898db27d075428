"""The code lists a person is recorded by: ISO 3166-1 nationality codes and Vietnam's 54 ethnic
groups (General Statistics Office, Decision 121-TCTK/PPCĐ, 1019/QĐ-TCTK)."""

from __future__ import annotations

import unicodedata

import pytest

from sibook.ids import (
    birth_countries,
    countries,
    country,
    ethnic_group,
    ethnic_groups,
    nationality_vi,
)
from sibook.seed.names import ETHNICITIES


def test_there_are_249_iso_codes_of_two_capital_letters() -> None:
    codes = countries()
    assert len(codes) == 249
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in codes)


@pytest.mark.parametrize("code", ["VN", "KR", "CN", "JP", "TW", "LA", "KH"])
def test_the_nationalities_of_vietnams_foreign_workers_are_codes(code: str) -> None:
    assert country(code) is not None


@pytest.mark.parametrize("text", ["vn", "Vietnam", "VNM", "XK", "EU", "UK"])
def test_what_is_not_an_assigned_alpha2_code_is_no_country(text: str) -> None:
    assert country(text) is None


@pytest.mark.parametrize(("code", "name"), [("VN", "Việt Nam"), ("KR", "Hàn Quốc"),
                                            ("CN", "Trung Quốc"), ("LA", "Lào")])
def test_a_book_prints_a_nationality_by_its_vietnamese_name(code: str, name: str) -> None:
    assert nationality_vi(code) == name


def test_every_code_has_a_vietnamese_name_and_a_value_that_is_no_code_prints_as_itself() -> None:
    assert all(c.name_vi.strip() == c.name_vi != "" for c in countries().values())
    assert nationality_vi("XK") == "XK"


def test_every_country_a_birth_abroad_is_registered_in_has_an_iso_code() -> None:
    assert all(country(c.iso_alpha2) is not None for c in birth_countries())


def test_vietnam_has_54_ethnic_groups_the_largest_first() -> None:
    groups = ethnic_groups()
    assert len(groups) == len(set(groups)) == 54
    assert groups[:4] == ("Kinh", "Tày", "Thái", "Mường")


def test_every_group_is_read_back_as_itself() -> None:
    assert all(ethnic_group(g) == g for g in ethnic_groups())


@pytest.mark.parametrize(("written", "group"), [
    ("Gia-rai", "Gia Rai"), ("Ê-đê", "Ê Đê"), ("HMông", "H'Mông"), ("H’mông", "H'Mông"),
    ("Mông", "H'Mông"), ("Khơ-me", "Khmer"), ("M'Nông", "Mnông"), ("Bru Vân Kiều", "Bru-Vân Kiều"),
    ("Việt", "Kinh"), ("kinh", "Kinh"), (unicodedata.normalize("NFD", "Tày"), "Tày"),
])
def test_other_spellings_of_a_group_are_read_as_the_gso_writes_it(written: str,
                                                                   group: str) -> None:
    assert ethnic_group(written) == group


@pytest.mark.parametrize("written", ["", "Kinh (Việt)", "Tay", "Mèo", "Người nước ngoài"])
def test_what_names_no_group_is_none(written: str) -> None:
    assert ethnic_group(written) is None


def test_the_seeded_population_draws_only_listed_groups() -> None:
    assert all(ethnic_group(name) == name for name, _ in ETHNICITIES)
