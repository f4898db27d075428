"""Province and country codes inside identifiers (Decision 124/2004, 19/2025; Circular 07/2016)."""

from __future__ import annotations

from sibook.ids import (
    birth_countries,
    birth_place_name,
    current_province_for,
    historical_province,
    historical_provinces,
    is_valid_province_code,
    province_2025,
    province_by_id_prefix,
    provinces_2025,
)


def test_there_were_63_provinces_before_the_merger() -> None:
    assert len(historical_provinces()) == 63


def test_there_are_34_provinces_from_july_2025() -> None:
    assert len(provinces_2025()) == 34


def test_id_prefix_is_the_two_digit_code_with_a_leading_zero() -> None:
    assert all(p.id_prefix == "0" + p.code for p in historical_provinces())


def test_binh_duong_now_belongs_to_ho_chi_minh_city() -> None:
    merged = current_province_for("74")
    assert merged is not None and (merged.code, merged.name) == ("79", "TP Hồ Chí Minh")


def test_ha_giang_merged_into_tuyen_quang_which_kept_code_08() -> None:
    merged = current_province_for("02")
    assert merged is not None and merged.code == "08"


def test_every_old_province_merged_into_a_current_one() -> None:
    assert all(province_2025(p.merged_into.code) == p.merged_into for p in historical_provinces())


def test_prefix_079_is_ho_chi_minh_city() -> None:
    province = province_by_id_prefix("079")
    assert province is not None and province.name == "TP Hồ Chí Minh"


def test_closed_old_code_and_current_code_are_both_province_codes() -> None:
    assert is_valid_province_code("02") and is_valid_province_code("08")
    assert not is_valid_province_code("03") and historical_province("03") is None


def test_country_codes_run_from_101_to_295_without_gaps() -> None:
    codes = [int(c.id_prefix) for c in birth_countries()]
    assert codes == list(range(101, 296))


def test_prefix_of_a_birth_registered_in_japan_names_japan() -> None:
    assert birth_place_name("232") == "Nhật Bản"


def test_unknown_prefix_has_no_birth_place() -> None:
    assert birth_place_name("003") is None
