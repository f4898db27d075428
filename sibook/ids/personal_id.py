"""Personal identification number (số định danh cá nhân), 12 digits ``PPP G YY RRRRRR``.

Decree 137/2015/ND-CP Art 13; Circular 07/2016/TT-BCA and 59/2021/TT-BCA; Law on
Identification 2023 Art 12:

- ``PPP``: code of the province (pre-2025 list) or country where the birth was registered;
- ``G``: century and sex: 0/1 for 1900-1999 male/female, 2/3 for 2000-2099, ... up to 8/9 for
  2300-2399;
- ``YY``: last two digits of the birth year;
- ``RRRRRR``: a random serial. There is no check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sibook.core.errors import Problem, ValidationError
from sibook.ids._shape import digits_problem
from sibook.ids.provinces import is_valid_id_prefix

Sex = Literal["male", "female"]
SEXES: tuple[Sex, ...] = ("male", "female")

PERSONAL_ID_LENGTH = 12
FIRST_BIRTH_YEAR = 1900  # century digit 0
LAST_BIRTH_YEAR = 2399  # century digit 9
MAX_SERIAL = 999_999
FIELD = "personal_id"


@dataclass(frozen=True)
class PersonalId:
    """A parsed personal ID: where the birth was registered, sex and birth year."""

    value: str
    prefix: str
    sex: Sex
    birth_year: int
    serial: int


def century_sex_digit(birth_year: int, sex: str) -> int:
    """The ``G`` digit for a person born in ``birth_year`` of ``sex`` ("male" or "female")."""
    if sex not in SEXES:
        raise ValueError(f"sex must be 'male' or 'female', not {sex!r}")
    if not FIRST_BIRTH_YEAR <= birth_year <= LAST_BIRTH_YEAR:
        raise ValueError(f"birth year {birth_year} is outside {FIRST_BIRTH_YEAR}-{LAST_BIRTH_YEAR}")
    return 2 * (birth_year // 100 - 19) + (1 if sex == "female" else 0)


def decode_personal_id(value: str) -> PersonalId:
    """Read the parts of 12 ASCII digits, without judging them (see ``parse_personal_id``)."""
    g = int(value[3])
    return PersonalId(
        value=value,
        prefix=value[:3],
        sex="female" if g % 2 else "male",
        birth_year=FIRST_BIRTH_YEAR + 100 * (g // 2) + int(value[4:6]),
        serial=int(value[6:]),
    )


def personal_id_problems(value: str, *, today: date | None = None) -> list[Problem]:
    """Every reason ``value`` is not a valid personal ID; empty when it is."""
    shape = digits_problem(value, PERSONAL_ID_LENGTH, "a personal ID")
    if shape:
        return [Problem(field=FIELD, reason=shape)]
    problems = []
    if not is_valid_id_prefix(value[:3]):
        problems.append(Problem(field=FIELD, reason=(
            f"the first three digits {value[:3]} are not a known place of birth registration "
            "(one of the 63 province codes, between 001 and 096 but not every number there, "
            "or a country code 101-295)")))
    decoded = decode_personal_id(value)
    this_year = (today or date.today()).year
    if decoded.birth_year > this_year:
        problems.append(Problem(field=FIELD, reason=(
            f"the century digit {value[3]} and year digits {value[4:6]} give birth year "
            f"{decoded.birth_year}, which is in the future")))
    return problems


def parse_personal_id(value: str, *, today: date | None = None) -> PersonalId:
    """Decode a valid personal ID, or raise ``ValidationError`` with every reason it is not."""
    problems = personal_id_problems(value, today=today)
    if problems:
        raise ValidationError(problems)
    return decode_personal_id(value)


def is_valid_personal_id(value: str) -> bool:
    return not personal_id_problems(value)


def check_consistency(pid: str, birth_date: date, sex: str, *,
                      today: date | None = None) -> list[Problem]:
    """Reasons the ID disagrees with the person's recorded birth date and sex (empty if none).

    A mismatch names the person's field (``birth_date`` or ``sex``) that the ID contradicts.
    """
    problems = personal_id_problems(pid, today=today)
    if problems:
        return problems
    decoded = decode_personal_id(pid)
    if decoded.birth_year != birth_date.year:
        problems.append(Problem(field="birth_date", reason=(
            f"the personal ID {pid} is for someone born in {decoded.birth_year}, "
            f"but the birth date is {birth_date.isoformat()}")))
    if sex not in SEXES:
        problems.append(Problem(field="sex", reason=f"must be male or female, not {sex!r}"))
    elif decoded.sex != sex:
        problems.append(Problem(field="sex", reason=(
            f"the personal ID {pid} is for a {decoded.sex} person (century digit {pid[3]}), "
            f"but the sex is {sex}")))
    return problems


def make_personal_id(prefix: str, birth_date: date, sex: str, serial: int) -> str:
    """The personal ID for these facts; the same inputs always give the same number.

    ``serial`` (0..999999) stands in for the random part that the Ministry assigns.
    """
    if not is_valid_id_prefix(prefix):
        raise ValueError(f"unknown birth-registration code {prefix!r}")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} is outside 0..{MAX_SERIAL}")
    g = century_sex_digit(birth_date.year, sex)
    return f"{prefix}{g}{birth_date.year % 100:02d}{serial:06d}"
