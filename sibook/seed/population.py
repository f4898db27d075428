"""Generates households of people with careers, as rows ready for the bulk path of the store.

Pure and deterministic: the same seed and arguments give the same rows, batch after batch.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sibook.core.period import Period
from sibook.ids import make_hi_card, make_personal_id, make_si_code
from sibook.ids.provinces import historical_provinces
from sibook.registry import hi_cards
from sibook.seed import names
from sibook.seed.careers import Career, EmployerRef, career_rows

FIRST_MONTH = Period(1995, 1)  # careers are recorded from the 1995 SI system onwards
RELATION_HEAD = "chủ hộ"
UNREGISTERED_SHARE = 0.05  # households with a citizen on record who has no SI book yet


@dataclass
class Rows:
    """Rows per table for one batch, in the column order of ``COLUMNS``."""

    persons: list[tuple[object, ...]] = field(default_factory=list)
    person_relations: list[tuple[object, ...]] = field(default_factory=list)
    contacts: list[tuple[object, ...]] = field(default_factory=list)
    households: list[tuple[object, ...]] = field(default_factory=list)
    household_members: list[tuple[object, ...]] = field(default_factory=list)
    si_profiles: list[tuple[object, ...]] = field(default_factory=list)
    hi_cards: list[tuple[object, ...]] = field(default_factory=list)
    si_periods: list[tuple[object, ...]] = field(default_factory=list)
    ui_periods: list[tuple[object, ...]] = field(default_factory=list)
    si_books: list[tuple[object, ...]] = field(default_factory=list)
    population_citizens: list[tuple[object, ...]] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(v) for v in vars(self).values())


COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": (
        "person_id",
        "personal_id",
        "legacy_si_code",
        "full_name",
        "birth_date",
        "sex",
        "ethnicity",
        "nationality",
        "birth_registration_place",
        "hometown",
        "permanent_residence",
        "realm",
    ),
    "person_relations": (
        "person_id",
        "relation",
        "related_person_id",
        "full_name",
        "identity_number",
    ),
    "contacts": ("person_id", "phone", "email", "address"),
    "households": ("household_id", "code", "address", "province_code"),
    "household_members": ("person_id", "household_id", "relation_to_head"),
    "si_profiles": (
        "person_id",
        "managing_office",
        "participant_type",
        "payment_method",
        "tax_code",
    ),
    "hi_cards": (
        "person_id",
        "seq",
        "card_number",
        "group_code",
        "benefit_level",
        "province_code",
        "initial_kcb_place",
        "valid_from",
        "valid_to",
        "five_years_from",
    ),
    "si_periods": (
        "person_id",
        "seq",
        "from_month",
        "to_month",
        "kind",
        "employer_id",
        "job_title",
        "salary_basis",
        "allowances",
        "occupational_rate_bp",
        "support_group",
    ),
    "ui_periods": ("person_id", "seq", "from_month", "to_month", "employer_id", "salary_basis"),
    "si_books": ("person_id", "book_number", "status", "version"),
    "population_citizens": ("personal_id", "full_name", "birth_date", "sex"),
}

_PROVINCES = historical_provinces()
# Birth registrations concentrate in the big cities; weight them up.
_PROVINCE_WEIGHTS = [
    8 if p.code in ("01", "79") else 3 if p.code in ("31", "48", "92") else 1 for p in _PROVINCES
]
_ETHNICITIES = [e for e, _ in names.ETHNICITIES]
_ETHNIC_WEIGHTS = [w for _, w in names.ETHNICITIES]
_SURNAMES = [s for s, _ in names.SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in names.SURNAMES]


@dataclass
class Population:
    """State carried across batches so identifiers stay unique and output deterministic."""

    seed: int
    employers: list[EmployerRef]
    today: date
    next_person_id: int = 1
    next_household_id: int = 1
    serials: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.current = Period.of(self.today)
        self.unit_card_provinces = {
            e.employer_id: hi_cards.card_province(e.province_code) for e in self.employers
        }
        self.units: dict[str, list[EmployerRef]] = {}  # by realm: where its people work
        for e in self.employers:
            self.units.setdefault(e.realm, []).append(e)

    def batch(self, people: int) -> Rows:
        """At least ``people`` persons (whole households), or exactly that many at the end."""
        rows = Rows()
        made = 0
        while made < people:
            made += self._household(rows, limit=people - made)
        return rows

    def _household(self, rows: Rows, limit: int) -> int:
        rng = self.rng
        hid = self.next_household_id
        self.next_household_id += 1
        province = rng.choices(_PROVINCES, _PROVINCE_WEIGHTS)[0]
        address = (
            f"Số {rng.randint(1, 300)} {rng.choice(names.STREETS)}, {province.merged_into.name}"
        )
        rows.households.append((hid, f"HGD{hid:010d}", address, province.merged_into.code))
        surname = rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0]
        head_sex = rng.choice(("male", "female"))
        head_year = rng.randint(1958, 2003)
        head = self._person(
            rows,
            hid,
            RELATION_HEAD,
            surname,
            head_sex,
            self._birth(head_year),
            province.id_prefix,
            address,
            province.merged_into.code,
        )
        members = [head]
        if limit > 1 and rng.random() < 0.7:
            other = "female" if head_sex == "male" else "male"
            spouse = self._person(
                rows,
                hid,
                "vợ" if other == "female" else "chồng",
                rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0],
                other,
                self._birth(head_year + rng.randint(-5, 5)),
                rng.choices(_PROVINCES, _PROVINCE_WEIGHTS)[0].id_prefix,
                address,
                province.merged_into.code,
            )
            self._relate(rows, head, spouse, "spouse")
            self._relate(rows, spouse, head, "spouse")
            members.append(spouse)
            father, mother = (head, spouse) if head_sex == "male" else (spouse, head)
            for _ in range(min(rng.choice((0, 1, 1, 2, 2, 3)), limit - 2)):
                year = head_year + rng.randint(20, 35)
                if year > self.today.year:
                    break
                child = self._person(
                    rows,
                    hid,
                    "con",
                    father[2].split()[0],
                    rng.choice(("male", "female")),
                    self._birth(year),
                    province.id_prefix,
                    address,
                    province.merged_into.code,
                )
                self._relate(rows, child, father, "father")
                self._relate(rows, child, mother, "mother")
                members.append(child)
        if rng.random() < UNREGISTERED_SHARE:
            self._unregistered_citizen(rows)
        return len(members)

    def _unregistered_citizen(self, rows: Rows) -> None:
        """Someone in the population database who has never joined SI: registrable in the demo."""
        rng = self.rng
        sex = rng.choice(("male", "female"))
        birth = self._birth(rng.randint(1975, 2006))
        prefix = rng.choices(_PROVINCES, _PROVINCE_WEIGHTS)[0].id_prefix
        male = sex == "male"
        name = " ".join(
            (
                rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0],
                rng.choice(names.MIDDLE_MALE if male else names.MIDDLE_FEMALE),
                rng.choice(names.GIVEN_MALE if male else names.GIVEN_FEMALE),
            )
        )
        personal_id = make_personal_id(prefix, birth, sex, self._serial(prefix, birth, sex))
        rows.population_citizens.append((personal_id, name, birth, sex))

    def _birth(self, year: int) -> date:
        year = min(year, self.today.year - 1)
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def _person(
        self,
        rows: Rows,
        hid: int,
        relation: str,
        surname: str,
        sex: str,
        birth: date,
        prefix: str,
        address: str,
        home: str,  # the household's province
    ) -> tuple[int, str, str]:
        rng = self.rng
        pid = self.next_person_id
        self.next_person_id += 1
        male = sex == "male"
        full_name = " ".join(
            (
                surname,
                rng.choice(names.MIDDLE_MALE if male else names.MIDDLE_FEMALE),
                rng.choice(names.GIVEN_MALE if male else names.GIVEN_FEMALE),
            )
        )
        personal_id = make_personal_id(prefix, birth, sex, self._serial(prefix, birth, sex))
        roll = rng.random()
        realm = "defence" if roll < 0.01 else "public_security" if roll < 0.015 else "civil"
        si_code = make_si_code(pid)
        rows.persons.append(
            (
                pid,
                personal_id,
                si_code,
                full_name,
                birth,
                sex,
                rng.choices(_ETHNICITIES, _ETHNIC_WEIGHTS)[0],
                "VN",
                prefix,
                None,
                address,
                realm,
            )
        )
        rows.si_books.append((pid, personal_id, "active", 1))
        rows.population_citizens.append((personal_id, full_name, birth, sex))
        rows.contacts.append(
            (
                pid,
                f"09{rng.randint(0, 99_999_999):08d}",
                f"user{pid}@example.vn" if rng.random() < 0.4 else None,
                address,
            )
        )
        rows.household_members.append((pid, hid, relation))
        self._career(rows, pid, birth, sex, si_code, prefix, home, realm)
        return (pid, personal_id, full_name)

    def _serial(self, prefix: str, birth: date, sex: str) -> int:
        """A unique random part per (prefix, century/sex, year): a counter, scrambled."""
        key = (prefix, birth.year, 0 if sex == "male" else 1)
        n = self.serials.get(key, 0)
        self.serials[key] = n + 1
        offset = zlib.crc32(repr(key).encode())  # differs per bucket, same on every run
        return (n * 7_919 + offset) % 1_000_000  # 7919 is prime to 10**6: a bijection

    def _relate(
        self, rows: Rows, person: tuple[int, str, str], other: tuple[int, str, str], relation: str
    ) -> None:
        rows.person_relations.append((person[0], relation, other[0], other[2], other[1]))

    def _career(
        self, rows: Rows, pid: int, birth: date, sex: str, si_code: str, prefix: str, home: str,
        realm: str,
    ) -> None:
        # The ministries' people work in their units only; in a seed too small to have them,
        # they have no career on record.
        employers = self.units.get(realm, [])
        career = Career(
            rng=self.rng,
            person_id=pid,
            birth=birth,
            sex=sex,
            employers=employers,
            first=FIRST_MONTH,
            current=self.current,
        )
        si, ui, kind = career_rows(career) if employers else ([], [], None)
        rows.si_periods.extend(si)
        rows.ui_periods.extend(ui)
        province2 = prefix[1:]
        group, level = _hi_group(birth, self.today, kind, si)
        # This year's card names a current code: an employee's the unit's province, as a
        # declaration issues it; anyone else's the birth province.
        card_province = (
            self.unit_card_provinces[cast(int, si[-1][5])]
            if group == hi_cards.EMPLOYEE_GROUP
            else hi_cards.card_province(province2)
        )
        if kind is not None:  # managed where they work now, else where they live
            office = card_province if group == hi_cards.EMPLOYEE_GROUP else home
            rows.si_profiles.append(
                (pid, f"{office}{self.rng.randint(0, 999):03d}", kind, "monthly", None)
            )
        # No ui_reserves row: someone not working now keeps their UI months, but those are
        # the UI periods above, which the book already counts; a reserve is what a past
        # unemployment benefit left over (the book adds it to them), and the seed pays none.
        valid_from = date(self.today.year, 1, 1)
        rows.hi_cards.append(
            (
                pid,
                1,
                make_hi_card(group, level, card_province, si_code),
                group,
                level,
                card_province,
                f"{card_province}{self.rng.randint(0, 999):03d}",
                valid_from,
                date(self.today.year, 12, 31),
                None,
            )
        )


def _hi_group(
    birth: date, today: date, kind: str | None, si: list[tuple[object, ...]]
) -> tuple[str, int]:
    """HI participant group and benefit level (FACTS §5.3): who pays decides the group."""
    age = today.year - birth.year
    if age < 6:
        return "TE", 1
    if si and si[-1][3] is None:
        employee = (hi_cards.EMPLOYEE_GROUP, hi_cards.EMPLOYEE_LEVEL)
        return employee if kind == "compulsory" else ("GD", 4)
    if age >= 60 and si:
        return "HT", 3
    if age < 22:
        return "HS", 4
    return "GD", 4
