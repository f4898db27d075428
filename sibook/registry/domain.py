"""Pure values of the registry and the checks a registration must pass before it is stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.ids import (
    check_consistency,
    country,
    ethnic_group,
    historical_province,
    is_valid_id_prefix,
    is_valid_province_code,
    personal_id_problems,
    province_2025,
    province_by_id_prefix,
    provinces_2025,
    unit_code_problems,
)

REALMS = ("civil", "defence", "public_security")
# Who sets a unit's pay (``Employer.salary_regime``): the employer, or the state's salary scale
# (a state agency or public unit paying by it; the units of the defence and public-security
# realms always do).
SALARY_REGIMES = ("employer", "state")
# A phone number as the registry takes it, and the OpenAPI declares it: digits, a leading + and
# spaces, dots or dashes between them.
PHONE_SHAPE = r"^\+?[0-9][0-9 .-]{5,18}[0-9]$"
# Longest text each field holds (the store's column widths): every door (CLI, API, import file)
# is checked against these before anything is written.
PERSON_TEXT = {"full_name": 120, "ethnicity": 40, "hometown": 200, "permanent_residence": 200,
               "phone": 20, "email": 120, "address": 200}
EMPLOYER_TEXT = {"name": 200, "address": 200, "business_type": 60}
RELATIONS = ("father", "mother", "spouse", "legal_representative")
REGIONS = ("I", "II", "III", "IV")
VIETNAMESE = "VN"
# A foreign national's ethnicity: the 54 groups are Vietnam's, and the national code lists
# (e.g. the population database's) give foreigners this one entry after them.
FOREIGNER = "Người nước ngoài"
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


@dataclass(frozen=True)
class RelatedPerson:
    """Father, mother, spouse or legal representative, by reference or by name and ID number."""

    relation: str
    full_name: str
    personal_id: str | None = None


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


@dataclass(frozen=True)
class HouseholdMemberIn:
    personal_id: str
    relation_to_head: str


@dataclass(frozen=True)
class NewHousehold:
    code: str
    address: str
    province_code: str
    members: tuple[HouseholdMemberIn, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NewEmployer:
    code: str
    name: str
    province_code: str
    region: str
    address: str | None = None
    business_type: str | None = None
    realm: str = "civil"  # a unit of the defence or public-security ministry: its realm
    payment_cycle: str = "monthly"  # or "3", "6": months per payment (contributions.cycles)
    payment_cycle_from: Period | None = None  # None: the month registered
    salary_regime: str | None = None  # employer | state; None: state in a realm, else employer

    @property
    def regime(self) -> str:
        """The unit's salary regime, the realm's when none was given."""
        if self.salary_regime is not None:
            return self.salary_regime
        return "employer" if self.realm == "civil" else "state"


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
    if p.sex in ("male", "female") and p.birth_date <= today:
        for problem in check_consistency(p.personal_id, p.birth_date, p.sex):
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


def payment_cycle_problem(cycle: str) -> str | None:
    if cycle in PAYMENT_CYCLES:
        return None
    return f"must be {', '.join(PAYMENT_CYCLES)} (months per payment), got {cycle!r}"


def salary_regime_problem(regime: str, realm: str) -> str | None:
    """Why a unit of ``realm`` cannot pay by ``regime``: not listed, or ``employer`` in a
    ministry's realm, whose units pay by the state's salary scale."""
    if regime not in SALARY_REGIMES:
        return f"must be one of {', '.join(SALARY_REGIMES)}, got {regime!r}"
    if regime != "state" and realm != "civil":
        return f"a unit of the {realm} realm pays by the state's salary scale: state"
    return None


def employer_problems(e: NewEmployer) -> list[Problem]:
    # Shape only: the check digit belongs to the business-registration database that issues the
    # code, and units registered before its rules carry codes that would fail it.
    problems = [
        Problem(field="code", reason=p.reason)
        for p in unit_code_problems(e.code, check_digit=False)
    ]
    if not e.name.strip():
        problems.append(Problem(field="name", reason="must not be empty"))
    for name, limit in EMPLOYER_TEXT.items():
        reason = text_problem(getattr(e, name), limit)
        if reason:
            problems.append(Problem(field=name, reason=reason))
    if e.realm not in REALMS:
        problems.append(Problem(field="realm", reason=f"must be one of {', '.join(REALMS)}, "
                                                      f"got {e.realm!r}"))
    if (reason := salary_regime_problem(e.regime, e.realm)) is not None:
        problems.append(Problem(field="salary_regime", reason=reason))
    if e.region not in REGIONS:
        problems.append(
            Problem(field="region", reason=f"must be I, II, III or IV, got {e.region!r}")
        )
    if (reason := payment_cycle_problem(e.payment_cycle)) is not None:
        problems.append(Problem(field="payment_cycle", reason=reason))
    if not is_valid_province_code(e.province_code):
        problems.append(
            Problem(field="province_code", reason=f"unknown province code {e.province_code!r}")
        )
    elif province_2025(e.province_code) is None:  # a code closed by the 2025 merger
        old = historical_province(e.province_code)
        assert old is not None  # a valid code that is not a current one is a historical one
        problems.append(Problem(field="province_code", reason=(
            f"province {old.code} ({old.name}) was merged into {old.merged_into.code} "
            f"({old.merged_into.name}) on 2025-07-01 (Decision 19/2025/QD-TTg): a unit is "
            f"registered under a current code")))
    return problems


def household_problems(h: NewHousehold) -> list[Problem]:
    problems = [Problem(field=name, reason=reason) for name, value, limit in (
        ("code", h.code, 20), ("address", h.address, 200),
        *((f"members[{i}].relation_to_head", m.relation_to_head, 30)
          for i, m in enumerate(h.members, start=1)))
        if (reason := "must not be empty" if not value.strip() else text_problem(value, limit))]
    if not is_valid_province_code(h.province_code):
        problems.append(Problem(field="province_code",
                                reason=f"unknown province code {h.province_code!r}"))
    elif province_2025(h.province_code) is None:  # a code closed by the 2025 merger
        # The household's province places its members in an officer's sight: a closed code
        # is no officer's, and the address lies in the province it merged into today.
        old = historical_province(h.province_code)
        assert old is not None
        problems.append(Problem(field="province_code", reason=(
            f"province {old.code} ({old.name}) was merged into {old.merged_into.code} "
            f"({old.merged_into.name}) on 2025-07-01 (Decision 19/2025/QD-TTg): a household "
            f"is registered under a current code")))
    return problems
