"""Employer (unit) identification codes (mã đơn vị).

From 1/8/2025 a unit is identified by ``DD | DT | LH`` where ``DD`` is either
- the 10-digit enterprise code (mã số doanh nghiệp), which is also the tax code (Law on
  Enterprises 59/2020/QH14 Art 29; Decree 168/2025/ND-CP): 2-digit tax-office province,
  7-digit serial, 1 check digit (weights 31 29 23 19 17 13 7 5 3, mod 11, as in the tax-code
  structure of Decision 75/1998/QD-TCT and python-stdnum's ``vn.mst``); or
- the 7-digit budget-relationship code (mã số đơn vị có quan hệ với ngân sách, Circular
  185/2015/TT-BTC).
Records from before carry the VSS legacy unit code: 7 letters/digits such as ``TZH490L``
(structure unpublished; treated as opaque). The DT and LH parts are not public, so not here.
"""

from __future__ import annotations

from typing import Literal

from sibook.core.errors import Problem
from sibook.ids._shape import is_ascii_digits

UnitCodeKind = Literal["enterprise", "budget_relationship", "legacy_unit"]

ENTERPRISE_CODE_LENGTH = 10
BUDGET_CODE_LENGTH = 7
LEGACY_UNIT_CODE_LENGTH = 7
_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
# make_enterprise_code spreads n over 9 valid last digits of each 6-digit serial head.
_PER_HEAD = 9
_MAX_HEAD = 999_999
FIELD = "unit_code"


def enterprise_check_digit(first_nine: str) -> int | None:
    """The check digit of an enterprise code, or None when no digit fits (never issued)."""
    check = 10 - sum(w * int(d) for w, d in zip(_WEIGHTS, first_nine, strict=True)) % 11
    return check if check < 10 else None


# The shapes ``unit_code_kind`` knows, as the OpenAPI declares a unit code given in a body (7
# digits is a budget-relationship code; with a capital letter, a legacy one).
UNIT_CODE_SHAPE = r"^([0-9]{10}|[0-9A-Z]{7})$"


def unit_code_kind(value: str) -> UnitCodeKind | None:
    """Which kind of unit code ``value`` is shaped like, if any."""
    if is_ascii_digits(value) and len(value) == ENTERPRISE_CODE_LENGTH:
        return "enterprise"
    if is_ascii_digits(value) and len(value) == BUDGET_CODE_LENGTH:
        return "budget_relationship"
    if (len(value) == LEGACY_UNIT_CODE_LENGTH and value.isascii() and value.isalnum()
            and value.isupper()):
        return "legacy_unit"
    return None


def unit_code_problems(value: str, *, check_digit: bool = True) -> list[Problem]:
    """Every reason ``value`` is not a unit code; empty when it is.

    ``check_digit=False`` skips the enterprise check digit, for test data made up by hand.
    """
    kind = unit_code_kind(value)
    if kind is None:
        return [Problem(field=FIELD, reason=(
            "a unit code is a 10-digit enterprise code, a 7-digit budget-relationship code "
            "or a 7-character legacy code of capital letters and digits"))]
    if kind != "enterprise":
        return []
    reasons = []
    if value[2:9] == "0000000":
        reasons.append("the serial part (digits 3-9) of an enterprise code cannot be all zeros")
    if check_digit and enterprise_check_digit(value[:9]) != int(value[9]):
        reasons.append(f"the last digit of enterprise code {value} does not match its check digit")
    return [Problem(field=FIELD, reason=r) for r in reasons]


def is_valid_unit_code(value: str, *, check_digit: bool = True) -> bool:
    return not unit_code_problems(value, check_digit=check_digit)


def make_enterprise_code(n: int, province_prefix: str = "01") -> str:
    """The ``n``-th synthetic enterprise code (0 <= n < 8,999,991) under ``province_prefix``.

    Distinct ``n`` give distinct codes, each with a valid check digit.
    """
    if not (len(province_prefix) == 2 and is_ascii_digits(province_prefix)):
        raise ValueError(f"province prefix {province_prefix!r} must be 2 digits")
    head, pick = divmod(n, _PER_HEAD)
    head += 1  # keeps the serial from being all zeros
    if n < 0 or head > _MAX_HEAD:
        raise ValueError(f"{n} is outside 0..{_MAX_HEAD * _PER_HEAD - 1}")
    stems = [f"{province_prefix}{head:06d}{last}" for last in range(10)]
    valid = [stem for stem in stems if enterprise_check_digit(stem) is not None]
    stem = valid[pick]
    return f"{stem}{enterprise_check_digit(stem)}"
