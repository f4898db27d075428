"""Legacy HI card number XX Y ZZ NNNNNNNNNN (Decision 1351/QD-BHXH)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.ids import (
    HiGroup,
    hi_card_problems,
    hi_group,
    hi_groups,
    historical_provinces,
    is_valid_hi_card,
    make_hi_card,
    make_si_code,
    parse_hi_card,
)


def test_employee_card_in_ho_chi_minh_city_parses() -> None:
    card = parse_hi_card("DN4797901234567")
    assert (card.group_code, card.benefit_level, card.province_code, card.si_code) == (
        "DN", 4, "79", "7901234567")


@pytest.mark.parametrize(("group", "level"), [
    ("CC", 1), ("TE", 1), ("CK", 2), ("HN", 2), ("HT", 3), ("CN", 3), ("DN", 4), ("GD", 4),
    ("HS", 4), ("QN", 5), ("CA", 5), ("CY", 5),
])
def test_group_has_its_statutory_benefit_level(group: str, level: int) -> None:
    found = hi_group(group)
    assert found is not None and found.level == level


def test_groups_are_listed_in_statutory_payer_order() -> None:
    payer_groups = [g.payer_group for g in hi_groups()]
    assert payer_groups == sorted(payer_groups)
    assert hi_groups()[0].code == "DN"


def test_employee_who_is_also_a_veteran_may_carry_the_more_generous_level_2() -> None:
    assert is_valid_hi_card("DN2797901234567")


def test_soldier_card_with_the_less_generous_level_4_is_refused() -> None:
    [problem] = hi_card_problems("QN4797901234567")
    assert "level 4" in problem.reason and "QN" in problem.reason


def test_a_level_below_the_groups_is_said_to_cover_less_not_to_be_a_smaller_number() -> None:
    """Level 4 (80%) covers less than level 1 (100%): "4 is less than 1" read as nonsense."""
    [problem] = hi_card_problems("CC4797901234567")
    assert problem.reason == ("benefit level 4 covers less than level 1, the least every card "
                              "of group CC carries")


def test_unknown_group_code_is_refused() -> None:
    [problem] = hi_card_problems("ZZ4797901234567")
    assert "ZZ" in problem.reason


@pytest.mark.parametrize("level", ["0", "6", "9"])
def test_benefit_level_outside_1_to_5_is_refused(level: str) -> None:
    assert not is_valid_hi_card(f"DN{level}797901234567")


def test_post_2025_only_province_code_is_not_a_legacy_card_code() -> None:
    assert not is_valid_hi_card("DN4037901234567")


def test_closed_pre_2025_province_code_is_still_valid_on_a_legacy_card() -> None:
    assert is_valid_hi_card("DN4027901234567")  # Hà Giang, merged into Tuyên Quang in 2025


def test_lowercase_group_letters_are_refused() -> None:
    """FACTS.md 5.3 (Decision 1351/QD-BHXH): the number is ``^[A-Z]{2}[1-5]\\d{2}\\d{10}$``."""
    with pytest.raises(ValidationError, match="must be upper case: DN, not dn"):
        parse_hi_card("dn4797901234567")
    assert not is_valid_hi_card("Dn4797901234567")


@pytest.mark.parametrize("value", ["DN479790123456", "DN47979012345678", "D44797901234567",
                                   "DN4 79790123456", "ĐN4797901234567", ""])
def test_value_of_the_wrong_shape_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        parse_hi_card(value)


def test_made_card_lays_out_its_parts_in_printed_order() -> None:
    assert make_hi_card("HT", 3, "01", "0123456789") == "HT3010123456789"


@pytest.mark.parametrize(("group", "level", "province", "si"), [
    ("ZZ", 4, "01", "0123456789"), ("QN", 4, "01", "0123456789"),
    ("DN", 4, "03", "0123456789"), ("DN", 4, "01", "012345678"),
])
def test_card_from_bad_parts_cannot_be_made(group: str, level: int, province: str,
                                             si: str) -> None:
    with pytest.raises(ValueError):
        make_hi_card(group, level, province, si)


@given(group=st.sampled_from(hi_groups()),
       province=st.sampled_from([p.code for p in historical_provinces()]),
       n=st.integers(0, 10**10 - 1))
def test_made_card_parses_back_to_its_parts(group: HiGroup, province: str, n: int) -> None:
    si = make_si_code(n)
    card = parse_hi_card(make_hi_card(group.code, group.level, province, si))
    assert (card.group_code, card.benefit_level, card.province_code, card.si_code) == (
        group.code, group.level, province, si)
