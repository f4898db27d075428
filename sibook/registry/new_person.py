"""Registering a person (TK1-TS fields [01]-[09], Decree 164 groups 1-2): what it needs and the
checks it must pass before it is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sibook.core.errors import Problem
from sibook.ids import (
    check_consistency,
    country,
    ethnic_group,
    is_valid_id_prefix,
    personal_id_problems,
)
from sibook.registry.domain import REALMS, composed_texts, same_name, text_problem

# A phone number as the registry takes it, and the OpenAPI declares it: digits, a leading + and
# spaces, dots or dashes between them.
PHONE_SHAPE = r"^\+?[0-9][0-9 .-]{5,18}[0-9]$"
# Longest text each field holds (the store's column widths): every door (CLI, API, import file)
# is checked against these before anything is written.
PERSON_TEXT = {"full_name": 120, "ethnicity": 40, "hometown": 200, "permanent_residence": 200,
               "phone": 20, "email": 120, "address": 200}
RELATIONS = ("father", "mother", "spouse", "legal_representative")
VIETNAMESE = "VN"
# A foreign national's ethnicity: the 54 groups are Vietnam's, and the national code lists
# (e.g. the population database's) give foreigners this one entry after them.
FOREIGNER = "Người nước ngoài"


@dataclass(frozen=True)
class RelatedPerson:
    """Father, mother, spouse or legal representative, by reference or by name and ID number."""

    relation: str
    full_name: str
    personal_id: str | None = None

    def __post_init__(self) -> None:
        composed_texts(self)


@dataclass(frozen=True)
class NewPerson:
    """What registering a person needs (TK1-TS fields [01]-[09], Decree 164 group 1-2)."""

    personal_id: str
    full_name: str
    birth_date: date
    sex: str
    birth_registration_place: str
    ethnicity: str | None = None  # none given: see ``recorded_ethnicity``
    nationality: str = VIETNAMESE  # ISO 3166-1 alpha-2
    legacy_si_code: str | None = None
    hometown: str | None = None
    permanent_residence: str | None = None
    realm: str = "civil"
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    relations: tuple[RelatedPerson, ...] = ()

    def __post_init__(self) -> None:
        composed_texts(self)


def person_problems(p: NewPerson, *, today: date, row: int | None = None) -> list[Problem]:
    """Everything wrong with ``p`` on its own (uniqueness is the store's to check)."""
    problems: list[Problem] = []

    def bad(field_name: str, reason: str) -> None:
        problems.append(Problem(field=field_name, reason=reason, row=row))

    if not p.full_name.strip():
        bad("full_name", "must not be empty")
    for name, limit in PERSON_TEXT.items():
        reason = text_problem(getattr(p, name), limit)
        if reason:
            bad(name, reason)
    if country(p.nationality) is None:
        bad("nationality", f"must be an ISO 3166-1 alpha-2 country code (VN, KR, CN, ...), "
                           f"got {p.nationality!r}")
    if all(problem.field != "ethnicity" for problem in problems):  # not too long already
        reason = ethnicity_problem(p)
        if reason:
            bad("ethnicity", reason)
    if p.sex not in ("male", "female"):
        bad("sex", f"must be male or female, got {p.sex!r}")
    if p.birth_date > today:
        bad("birth_date", f"{p.birth_date.isoformat()} is in the future")
    elif p.birth_date.year < 1900:
        bad("birth_date", f"{p.birth_date.isoformat()} is before 1900")
    if p.realm not in REALMS:
        bad("realm", f"must be one of {', '.join(REALMS)}, got {p.realm!r}")
    if not is_valid_id_prefix(p.birth_registration_place):
        bad(
            "birth_registration_place",
            f"unknown province or country code {p.birth_registration_place!r}",
        )
    elif p.birth_registration_place != p.personal_id[:3]:
        # FACTS §5.1: the ID's first three digits are the place the birth was registered.
        bad("birth_registration_place", f"must be {p.personal_id[:3]!r}, the place of birth "
            f"registration the personal ID encodes, got {p.birth_registration_place!r}")
    # A sex or birth date refused above is no ground to compare the ID with: it is still
    # checked on its own, so one answer gives every reason (the ID's too).
    of_the_id = (check_consistency(p.personal_id, p.birth_date, p.sex, today=today)
                 if p.sex in ("male", "female") and p.birth_date <= today
                 else personal_id_problems(p.personal_id, today=today))
    for problem in of_the_id:
        problems.append(Problem(field=problem.field, reason=problem.reason, row=row))
    if p.legacy_si_code is not None and not (
        len(p.legacy_si_code) == 10 and p.legacy_si_code.isascii() and p.legacy_si_code.isdigit()
    ):
        bad("legacy_si_code", "must be 10 digits")
    seen: set[str] = set()
    for rel in p.relations:
        if rel.relation in seen:  # the book and the survivors' checks know one of each
            bad("relations", f"{rel.relation} is given twice; a person has one")
        seen.add(rel.relation)
        if rel.relation not in RELATIONS:
            bad("relations", f"unknown relation {rel.relation!r}; use {', '.join(RELATIONS)}")
        reason = text_problem(rel.full_name, PERSON_TEXT["full_name"])
        if reason:
            bad("relations", f"{rel.relation}: the name {reason}")
        if rel.personal_id == p.personal_id:
            bad("relations", f"{rel.relation}: a person is not their own {rel.relation}")
        elif rel.personal_id is not None:
            for problem in personal_id_problems(rel.personal_id, today=today):
                bad("relations", f"{rel.relation}: {problem.reason}")
    if p.email is not None and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", p.email) is None:
        bad("email", f"is not an e-mail address: {p.email!r}")
    if p.phone is not None and re.fullmatch(PHONE_SHAPE, p.phone) is None:
        bad("phone", f"is not a phone number (digits, with +, spaces, dots or dashes): "
                     f"{p.phone!r}")
    return problems


def recorded_ethnicity(p: NewPerson) -> str | None:
    """The ethnicity stored for ``p``: the General Statistics Office's spelling of the group
    given, or ``FOREIGNER`` for a foreign national who gives it. None given: Kinh for a
    Vietnamese citizen (the registration form's default), ``FOREIGNER`` for anyone else.
    None: what was given is neither."""
    foreign = p.nationality != VIETNAMESE
    if p.ethnicity is None:
        return FOREIGNER if foreign else "Kinh"
    if foreign and same_name(p.ethnicity, FOREIGNER):
        return FOREIGNER
    return ethnic_group(p.ethnicity)


def ethnicity_problem(p: NewPerson) -> str | None:
    """Why ``p``'s ethnicity cannot be recorded, if it cannot."""
    if recorded_ethnicity(p) is not None:
        return None
    groups = "Vietnam's 54 ethnic groups (General Statistics Office list: Kinh, Tày, Thái, ...)"
    if p.nationality != VIETNAMESE:
        return f"{p.ethnicity!r} is not one of {groups}, nor {FOREIGNER!r} (foreign national)"
    if p.ethnicity is not None and same_name(p.ethnicity, FOREIGNER):
        return (f"{FOREIGNER!r} is for a foreign national; a Vietnamese citizen (nationality "
                f"VN) is of one of {groups}")
    return f"{p.ethnicity!r} is not one of {groups}"
