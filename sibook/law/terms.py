"""The closed vocabularies the law tables are keyed by, with parsers that name the valid values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeVar, get_args

from sibook.core.errors import ValidationError

Kind = Literal["compulsory", "foreign", "voluntary", "self_chosen"]
Fund = Literal["retirement_survivorship", "sickness_maternity", "occupational", "health",
               "unemployment"]
Region = Literal["I", "II", "III", "IV"]
Sex = Literal["male", "female"]
SupportGroup = Literal["poor", "near_poor", "ethnic_minority", "island", "other"]
OaRate = Literal["standard", "reduced"]

# Order of the funds on the book's sheets and in every answer.
FUNDS: tuple[Fund, ...] = get_args(Fund)
REGIONS: tuple[Region, ...] = get_args(Region)
SEXES: tuple[Sex, ...] = get_args(Sex)
SUPPORT_GROUPS: tuple[SupportGroup, ...] = get_args(SupportGroup)
OA_RATES: tuple[OaRate, ...] = get_args(OaRate)
# The support group of a voluntary participant who names none: the law supports everyone, those
# in none of its other groups at this one's rate (Decree 159/2025: 20%); it has no group without
# support, which ends only once its 120 months are used.
UNNAMED_SUPPORT_GROUP: SupportGroup = "other"

_T = TypeVar("_T", bound=str)


def as_spelled(value: str, choices: Sequence[_T]) -> _T | None:
    """The word of ``choices`` that ``value`` is, read in any letter case (``i`` is I, ``Male``
    is male), as ``choices`` spells it; None when it is none of them. No vocabulary here holds
    two words that differ only in case. The CLI's flags and the API's bodies read so alike."""
    typed = value.casefold()
    return next((word for word in choices if word.casefold() == typed), None)


def parse_choice(value: str, choices: tuple[_T, ...], *, field: str) -> _T:
    """``value`` if among ``choices``; else a ValidationError naming the field and the choices."""
    for choice in choices:
        if value == choice:
            return choice
    raise ValidationError(field=field,
                          reason=f"unknown value {value!r}; valid: {', '.join(choices)}")
