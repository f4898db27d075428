"""Employer unit codes: enterprise code (tax code), budget-relationship code, legacy VSS code."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sibook.ids import (
    UNIT_CODE_SHAPE,
    enterprise_check_digit,
    is_valid_unit_code,
    make_enterprise_code,
    unit_code_kind,
    unit_code_problems,
)
from sibook.registry.schemas import EmployerIn


def test_published_enterprise_code_has_a_matching_check_digit() -> None:
    assert is_valid_unit_code("0100233488")  # python-stdnum's vn.mst example


def test_enterprise_code_with_a_wrong_check_digit_is_refused() -> None:
    [problem] = unit_code_problems("0100233480")
    assert "check digit" in problem.reason


def test_check_digit_can_be_skipped_for_hand_made_test_data() -> None:
    assert is_valid_unit_code("0101234567", check_digit=False)
    assert not is_valid_unit_code("0101234567")


def test_enterprise_serial_of_all_zeros_is_refused() -> None:
    assert not is_valid_unit_code("0100000000", check_digit=False)


def test_no_check_digit_fits_when_the_weighted_sum_divides_by_11() -> None:
    assert enterprise_check_digit("000000000") is None


@pytest.mark.parametrize(("value", "kind"), [
    ("0100233488", "enterprise"), ("1012345", "budget_relationship"),
    ("TZH490L", "legacy_unit"), ("tzh490l", None), ("TZH 490", None), ("", None),
])
def test_shape_decides_the_kind_of_unit_code(value: str, kind: str | None) -> None:
    assert unit_code_kind(value) == kind


@given(st.from_regex(UNIT_CODE_SHAPE, fullmatch=True)
       | st.text(alphabet="0123456789AZaz é-", min_size=6, max_size=11))
@example("tzh490l")
@example("TZH490l")
@example("0100233488 ")
@example("１０１２３４５")  # full-width digits
def test_the_shape_the_openapi_declares_is_the_kinds_the_code_knows(value: str) -> None:
    assert (re.fullmatch(UNIT_CODE_SHAPE, value) is not None) == (unit_code_kind(value) is not None)


def test_an_employers_code_is_declared_by_its_shape() -> None:
    # A 13-character code of anything was declared; the registry refused all but these shapes.
    assert EmployerIn.model_json_schema()["properties"]["code"]["pattern"] == UNIT_CODE_SHAPE


@given(st.integers(0, 8_999_990))
def test_made_enterprise_code_is_valid(n: int) -> None:
    assert is_valid_unit_code(make_enterprise_code(n))


@given(st.integers(0, 8_999_989))
def test_neighbouring_numbers_make_different_enterprise_codes(n: int) -> None:
    assert make_enterprise_code(n) != make_enterprise_code(n + 1)


def test_first_thousand_enterprise_codes_are_all_distinct() -> None:
    assert len({make_enterprise_code(n) for n in range(1000)}) == 1000


@pytest.mark.parametrize("n", [-1, 8_999_991])
def test_enterprise_code_number_out_of_range_cannot_be_made(n: int) -> None:
    with pytest.raises(ValueError):
        make_enterprise_code(n)
