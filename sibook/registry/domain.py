"""Pure values of the registry its parts share: realms, salary regimes, the SI office that
manages a person, the province a unit or household is registered under, and the checks every
stored text passes.

What registering a person, a household or an employer needs, and the checks it must pass
before it is stored: ``new_person``, ``new_household``, ``new_employer``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING

from sibook.core.period import Period
from sibook.ids import (
    historical_province,
    is_valid_province_code,
    province_2025,
    province_by_id_prefix,
    provinces_2025,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

REALMS = ("civil", "defence", "public_security")
# Who sets a unit's pay (``Employer.salary_regime``): the employer, or the state's salary scale
# (a state agency or public unit paying by it; the units of the defence and public-security
# realms always do).
SALARY_REGIMES = ("employer", "state")
# How far ahead a unit's payment method or salary regime may be changed from: a decision taking
# effect within the year; a month beyond it is a typed year (2062 for 2026), not a plan.
UNIT_CHANGE_AHEAD = 12  # months
# Unicode categories no stored text may hold (besides the C0 and C1 controls): see text_problem.
UNPRINTABLE = frozenset({"Cf", "Zl", "Zp"})


NO_OFFICE = ("no SI office can manage this person: the registry holds no residence (household) "
             "or employer for them and their birth was registered abroad; name the office (five "
             "digits, e.g. 01000 for Hà Nội)")


def provincial_office(province_code: str) -> str:
    """The managing-office code of a province's SI agency itself: the province's two digits,
    then 000. Office codes are five digits (FACTS §5.2); that they lead with the province is
    this system's convention (district offices take the other three digits, as seeded)."""
    return f"{province_code}000"


def birth_province_office(personal_id: str) -> str | None:
    """The last default of a person's managing office, when nothing says where they live or
    work: that of the province (as merged in 2025) where their birth was registered, the
    personal ID's first three digits; None for a birth registered abroad. A clerk may name
    another; without it the person would be seen by no provincial clerk."""
    born = province_by_id_prefix(personal_id[:3])
    return None if born is None else provincial_office(born.merged_into.code)


# An SI office code as ``office_code_problem`` takes it, and the OpenAPI declares it.
OFFICE_SHAPE = f"^({'|'.join(p.code for p in provinces_2025())})[0-9]{{3}}$"


def office_code_problem(code: str) -> str | None:
    """Why ``code`` is not an SI office code (five digits, a current province's two first);
    None when it is one."""
    if len(code) == 5 and code.isascii() and code.isdigit() and province_2025(code[:2]):
        return None
    return (f"{code!r} is not an SI office code: five digits, the first two a current "
            "province's code (01000 is Hà Nội's provincial office)")


def province_code_problem(code: str, registering: str) -> str | None:
    """Why ``registering`` (a unit, a household) cannot be registered under province ``code``:
    unknown, or closed by the 2025 merger (the address lies in the province it merged into
    today); None when it is a current code."""
    if not is_valid_province_code(code):
        return f"unknown province code {code!r}"
    if province_2025(code) is not None:
        return None
    old = historical_province(code)
    assert old is not None  # a valid code that is not a current one is a historical one
    return (f"province {old.code} ({old.name}) was merged into {old.merged_into.code} "
            f"({old.merged_into.name}) on 2025-07-01 (Decision 19/2025/QD-TTg): {registering} "
            f"is registered under a current code")


def composed_texts(record: DataclassInstance) -> None:
    """Every text field of the frozen dataclass ``record`` in Unicode's composed form (NFC), as
    its ``__post_init__``: a name typed on a Mac or some phone keyboards arrives decomposed (e +
    combining accents), and stored so it would equal no other writing of the same name, be
    longer than its column allows, and be sorted apart. Declaration files are read so too
    (``contributions.file_columns``)."""
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str):
            object.__setattr__(record, item.name, unicodedata.normalize("NFC", value))


def same_name(a: str, b: str) -> bool:
    """Whether two names are one up to case, spacing and Unicode composition (a name typed on
    some keyboards arrives decomposed: e + combining accents)."""
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).casefold().split())

    return norm(a) == norm(b)


def text_problem(value: str | None, limit: int) -> str | None:
    """Why a text field cannot be stored: too long, or holding control characters (a line
    break in a name breaks every list and form it is printed on)."""
    if value is None:
        return None
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit}"
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or unicodedata.category(c) in UNPRINTABLE
           for c in value):
        # Cf: invisible format characters such as U+202E, which reverses what follows: a
        # printed name or reason would read other than it is stored. Zl, Zp: U+2028 and
        # U+2029 break a line as a newline does. (A lone surrogate never gets here: Pydantic
        # refuses it in a body or file, and the CLI's argument that is not UTF-8 is a usage
        # error, exit 2: sibook.cli.main.)
        return "must not contain control characters (line breaks, tabs, ...)"
    return None


def change_ahead_problem(from_month: Period, today: date) -> str | None:
    """Why a unit's method or regime cannot change from ``from_month`` (as of ``today``): more
    than ``UNIT_CHANGE_AHEAD`` months ahead."""
    latest = Period.of(today) + UNIT_CHANGE_AHEAD
    if from_month > latest:
        return (f"{from_month} is more than {UNIT_CHANGE_AHEAD} months ahead of today; a change "
                f"is recorded from {latest} at the latest (one decided for later, nearer the "
                "time)")
    return None


def salary_regime_problem(regime: str, realm: str) -> str | None:
    """Why a unit of ``realm`` cannot pay by ``regime``: not listed, or ``employer`` in a
    ministry's realm, whose units pay by the state's salary scale."""
    if regime not in SALARY_REGIMES:
        return f"must be one of {', '.join(SALARY_REGIMES)}, got {regime!r}"
    if regime != "state" and realm != "civil":
        return f"a unit of the {realm} realm pays by the state's salary scale: state"
    return None
