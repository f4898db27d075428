"""Legacy 15-character HI card number (mã thẻ BHYT) ``XX Y ZZ NNNNNNNNNN``.

Decision 1351/QD-BHXH (16/11/2015): ``XX`` participant-group code, ``Y`` benefit level 1-5,
``ZZ`` 2-digit province code (pre-2025 list), ``N`` the 10-digit SI code. Cards printed since
1/4/2021 (Decision 1666/QD-BHXH) show only the SI code, but the full number is still exchanged
with hospitals, so it is still read and checked here.

Benefit levels (Law on Health Insurance Art 22): 1 = 100% without a ceiling on high-tech
services; 2 = 100% with that ceiling; 3 = 95%; 4 = 80%; 5 = 100% including services outside
the benefit list. Group codes and their levels: ``hi_groups.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sibook.core.errors import Problem, ValidationError
from sibook.ids._data import read_rows
from sibook.ids._shape import is_ascii_digits
from sibook.ids.provinces import historical_province
from sibook.ids.si_code import is_valid_si_code

HI_CARD_LENGTH = 15
FIELD = "hi_card"
# Least to most generous, from the coverage of each level above.
LEVELS_BY_GENEROSITY = (4, 3, 2, 1, 5)


@dataclass(frozen=True)
class HiGroup:
    """A participant group (đối tượng tham gia BHYT) and its statutory benefit level."""

    code: str
    payer_group: int
    level: int
    name_en: str


@dataclass(frozen=True)
class HiCard:
    value: str
    group_code: str
    benefit_level: int
    province_code: str
    si_code: str


@cache
def hi_groups() -> tuple[HiGroup, ...]:
    """The participant groups in statutory order (the order that picks a card's code)."""
    return tuple(
        HiGroup(code=r["code"], payer_group=int(r["payer_group"]), level=int(r["level"]),
                name_en=r["name_en"])
        for r in read_rows("hi_groups.csv")
    )


def hi_group(code: str) -> HiGroup | None:
    return next((g for g in hi_groups() if g.code == code), None)


def has_hi_card_shape(value: str) -> bool:
    """Two ASCII letters (either case) then 13 digits 0-9."""
    return (len(value) == HI_CARD_LENGTH and value[:2].isascii() and value[:2].isalpha()
            and is_ascii_digits(value[2:]))


def _level_problem(group: HiGroup | None, level: int) -> str | None:
    if level not in LEVELS_BY_GENEROSITY:
        return f"the benefit level digit must be 1-5, not {level}"
    if group and LEVELS_BY_GENEROSITY.index(level) < LEVELS_BY_GENEROSITY.index(group.level):
        # Levels are not in the order of their digits (4 80%, 3 95%, 2 and 1 100%, 5 100%
        # beyond the list): say "covers less", never "4 is less than 1".
        return (f"benefit level {level} covers less than level {group.level}, the least every "
                f"card of group {group.code} carries")
    return None


def hi_card_problems(value: str) -> list[Problem]:
    """Every reason ``value`` is not a legacy HI card number; empty when it is.

    Group letters in lower case are of the card's shape but not a valid number, which is
    ``^[A-Z]{2}[1-5]\\d{2}\\d{10}$`` (Decision 1351/QD-BHXH; FACTS.md 5.3): the reason names
    the upper-case letters to write instead.
    """
    if not has_hi_card_shape(value):
        return [Problem(field=FIELD, reason=(
            "an HI card number has 15 characters: 2 letters, the benefit level digit, "
            "a 2-digit province code and the 10-digit SI code"))]
    group_code, level, province = value[:2].upper(), int(value[2]), value[3:5]
    group = hi_group(group_code)
    reasons = []
    if value[:2] != group_code:
        reasons.append(f"the group letters must be upper case: {group_code}, not {value[:2]}")
    if group is None:
        reasons.append(f"{group_code} is not a known participant-group code")
    level_problem = _level_problem(group, level)
    if level_problem:
        reasons.append(level_problem)
    if historical_province(province) is None:
        reasons.append(f"{province} is not a province code used on HI cards (the 63-province list)")
    return [Problem(field=FIELD, reason=r) for r in reasons]


def parse_hi_card(value: str) -> HiCard:
    """Decode a valid HI card number, or raise ``ValidationError`` with every reason it is not."""
    problems = hi_card_problems(value)
    if problems:
        raise ValidationError(problems)
    return HiCard(value=value, group_code=value[:2], benefit_level=int(value[2]),
                  province_code=value[3:5], si_code=value[5:])


def is_valid_hi_card(value: str) -> bool:
    return not hi_card_problems(value)


def make_hi_card(group_code: str, benefit_level: int, province_code: str, si_code: str) -> str:
    """The card number from its parts, in printed order; raises ``ValueError`` on a bad part."""
    group = hi_group(group_code)
    if group is None:
        raise ValueError(f"unknown participant-group code {group_code!r}")
    problem = _level_problem(group, benefit_level)
    if problem:
        raise ValueError(problem)
    if historical_province(province_code) is None:
        raise ValueError(f"unknown province code {province_code!r}")
    if not is_valid_si_code(si_code):
        raise ValueError(f"{si_code!r} is not a 10-digit SI code")
    return f"{group_code}{benefit_level}{province_code}{si_code}"
