"""Registering persons, households and employers: bad input is named and nothing half-written."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sibook.contributions.store import SIPeriod
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, RecordedOtherwise, ValidationError
from sibook.core.period import Period
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import reading, registered_again, service
from sibook.registry.importer import parse_registry_file
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson, RelatedPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import (
    EmploymentStart,
    VoluntaryStart,
    register,
    start_voluntary,
)
from sibook.registry.store import (
    Contact,
    Employer,
    HouseholdMember,
    Person,
    PersonRelation,
    SIProfile,
)
from tests.integration.races import while_held

BIRTH = date(1989, 3, 2)
AN = make_personal_id("001", BIRTH, "male", 12345)
BINH = make_personal_id("079", date(1991, 7, 9), "female", 222)


def an(**changes: object) -> NewPerson:
    base = dict(
        personal_id=AN,
        full_name="Nguyễn Văn An",
        birth_date=BIRTH,
        sex="male",
        birth_registration_place="001",
        phone="0912345678",
        address="Hà Nội",
    )
    return NewPerson(**{**base, **changes})  # type: ignore[arg-type]


def binh() -> NewPerson:
    return NewPerson(
        personal_id=BINH,
        full_name="Trần Thị Bình",
        birth_date=date(1991, 7, 9),
        sex="female",
        birth_registration_place="079",
        relations=(RelatedPerson("spouse", "Nguyễn Văn An", AN),),
    )


def test_a_registered_person_round_trips_with_contact_and_relations(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
        service.register_person(session=s, person=binh())
    with unit_of_work(engine) as s:
        person = s.scalars(select(Person).where(Person.personal_id == BINH)).one()
        rel = s.scalars(
            select(PersonRelation).where(PersonRelation.person_id == person.person_id)
        ).one()
        an_row = s.scalars(select(Person).where(Person.personal_id == AN)).one()
        contact = s.get(Contact, an_row.person_id)
    assert person.full_name == "Trần Thị Bình" and person.realm == "civil"
    assert rel.relation == "spouse" and rel.related_person_id == an_row.person_id
    assert contact is not None and contact.phone == "0912345678"


def test_registering_the_same_person_twice_is_a_conflict(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
    with pytest.raises(ConflictError, match="already registered"), unit_of_work(engine) as s:
        service.register_person(session=s, person=an())


def test_an_id_that_contradicts_the_birth_date_and_sex_names_the_fields(engine: Engine) -> None:
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.register_person(session=s, person=an(sex="female", birth_date=date(1990, 1, 1)))
    reasons = {p.field: p.reason for p in err.value.problems}
    assert set(reasons) == {"birth_date", "sex"}
    assert "born in 1989" in reasons["birth_date"] and "male" in reasons["sex"]


def test_a_relation_given_twice_is_refused_not_a_500(engine: Engine) -> None:
    """Two fathers broke the store's one-per-kind key (an IntegrityError, a 500 over HTTP)."""
    twice = (RelatedPerson("father", "Nguyễn Văn Cha"), RelatedPerson("father", "Trần Văn Bố"))
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.register_person(session=s, person=an(relations=twice))
    (problem,) = err.value.problems
    assert problem.field == "relations" and "father is given twice" in problem.reason
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_future_birth_dates_and_unknown_places_are_refused(engine: Engine) -> None:
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.register_person(
            session=s, person=an(birth_date=date(2999, 1, 1), birth_registration_place="003")
        )
    fields = {p.field for p in err.value.problems}
    assert {"birth_date", "birth_registration_place"} <= fields


def test_a_household_member_who_is_not_registered_leaves_nothing_behind(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
    household = NewHousehold(
        code="HGD1",
        address="Hà Nội",
        province_code="01",
        members=(HouseholdMemberIn(AN, "chủ hộ"), HouseholdMemberIn(BINH, "vợ")),
    )
    with (
        pytest.raises(ValidationError, match=f"members\\[2\\].personal_id.*{BINH}"),
        unit_of_work(engine) as s,
    ):
        service.add_household(session=s, household=household)
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == 0


def test_employers_need_a_valid_code_region_and_province(engine: Engine) -> None:
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.add_employer(
            session=s,
            employer=NewEmployer(code="01000000", name="X", province_code="99", region="V"),
        )
    assert {p.field for p in err.value.problems} == {"code", "region", "province_code"}


def test_a_new_employer_is_registered_under_a_current_province_code(engine: Engine) -> None:
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=make_enterprise_code(7, "02"), name="X", province_code="02", region="I"))
    (problem,) = err.value.problems
    assert problem.field == "province_code" and "merged into 08" in problem.reason


@pytest.mark.parametrize(("content", "field", "row"), [
    ({"person": []}, "person", None),  # "persons" misspelt: the whole list would be lost
    ({"persons": [{"personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1989-03-02",
                   "sex": "male", "birth_registration_place": "001", "ethnicty": "Tày"}]},
     "persons.ethnicty", 1),  # the ethnicity would silently be the default
])
def test_a_key_the_registry_file_does_not_know_is_refused(
        tmp_path: Path, content: dict[str, object], field: str, row: int | None) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        parse_registry_file(path)
    assert [(p.field, p.row) for p in err.value.problems] == [(field, row)]


def test_a_registry_file_with_one_bad_row_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    good = {
        "personal_id": AN,
        "full_name": "Nguyễn Văn An",
        "birth_date": "1989-03-02",
        "sex": "male",
        "birth_registration_place": "001",
        "managing_office": "01000",
    }
    bad = {**good, "personal_id": BINH}  # BINH encodes a woman born 1991
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            {
                "employers": [
                    {
                        "code": make_enterprise_code(5),
                        "name": "Công ty A",
                        "province_code": "01",
                        "region": "I",
                    }
                ],
                "persons": [good, bad],
            }
        ),
        encoding="utf-8",
    )
    batch = parse_registry_file(path)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.import_batch(session=s, batch=batch)
    assert all(p.row == 2 and p.field.startswith("persons.") for p in err.value.problems)
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert reading.list_employers(session=s) == []


def test_a_malformed_registry_file_names_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"persons": [{"personal_id": "12"}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        parse_registry_file(path)
    assert any(p.row == 1 and p.field == "persons.personal_id" for p in err.value.problems)
    assert any(p.field == "persons.full_name" for p in err.value.problems)


def test_a_registry_files_value_refused_is_said_in_the_validators_own_words(
        tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"persons": [{
        "personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1989-13-01",
        "sex": "male", "birth_registration_place": "001"}]}), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        parse_registry_file(path)
    assert [(p.row, p.field, p.reason) for p in err.value.problems] == [
        (1, "persons.birth_date", "a date written YYYY-MM-DD, between 1900-01-01 and "
                                  "2099-12-31")]  # not "Value error, a date ..."


@pytest.mark.parametrize("content", [
    "[1, 2]", "null", '"persons"',
    pytest.param('{"persons": [' + "9" * 5_000 + "]}", id="5000-digits"),  # int() refuses it
    pytest.param("[" * 100_000 + "]" * 100_000, id="nested"),  # past the parser's depth
])
def test_a_registry_file_that_is_not_an_object_names_the_file(tmp_path: Path,
                                                              content: str) -> None:
    path = tmp_path / "registry.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        parse_registry_file(path)
    assert [p.field for p in err.value.problems] == ["file"]
    if content in ("[1, 2]", "null", '"persons"'):  # what it is, not Pydantic's class name
        (problem,) = err.value.problems
        assert problem.reason.startswith('a registry file is one JSON object, {"employers": ')
        assert "RegistryBatch" not in problem.reason


def test_a_relative_who_is_not_registered_is_kept_by_name_and_id(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=binh())  # An, her spouse, is not registered
    with unit_of_work(engine) as s:
        rel = s.scalars(select(PersonRelation)).one()
    assert (rel.related_person_id, rel.identity_number, rel.full_name) == (
        None, AN, "Nguyễn Văn An")


@pytest.mark.parametrize(("changes", "field"), [
    ({"birth_registration_place": "079"}, "birth_registration_place"),  # the ID says 001
    ({"full_name": "A" * 121}, "full_name"),
    ({"full_name": "Nguyễn\nVăn An"}, "full_name"),
    ({"nationality": "Vietnam"}, "nationality"),
    ({"nationality": "XX"}, "nationality"),  # two capitals, but no country's
    ({"ethnicity": "Martian"}, "ethnicity"),
    ({"phone": "0" * 21}, "phone"),
    ({"ethnicity": "K" * 41}, "ethnicity"),
])
def test_what_the_store_cannot_hold_is_refused_naming_the_field(
        engine: Engine, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.register_person(session=s, person=an(**changes))
    assert field in {p.field for p in err.value.problems}


@pytest.mark.parametrize(("changes", "stored"), [
    ({}, "Kinh"), ({"ethnicity": "Khơ-me"}, "Khmer"), ({"nationality": "KR"}, "Người nước ngoài"),
])
def test_the_ethnicity_is_stored_as_the_gso_writes_it(
        engine: Engine, changes: dict[str, object], stored: str) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an(**changes))
    with unit_of_work(engine) as s:
        assert s.scalars(select(Person.ethnicity)).one() == stored


def test_a_household_in_no_known_province_is_refused(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.add_household(session=s, household=NewHousehold(
            code="HN9", address="?", province_code="99",
            members=(HouseholdMemberIn(AN, "chủ hộ"),)))
    assert [p.field for p in err.value.problems] == ["province_code"]


@pytest.mark.parametrize(("changes", "fields"), [
    ({"code": "   ", "address": " "}, ["code", "address"]),
    ({"members": (HouseholdMemberIn(AN, "  "),)}, ["members[1].relation_to_head"]),
    ({"members": (HouseholdMemberIn(AN, "con\x07"),)}, ["members[1].relation_to_head"]),
    ({"province_code": "02"}, ["province_code"]),  # Hà Giang, merged into Tuyên Quang
])
def test_a_blank_or_unprintable_household_or_a_closed_province_is_refused(
    engine: Engine, changes: dict[str, object], fields: list[str],
) -> None:
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
    household = NewHousehold(code="HN8", address="Số 1 Phố Huế", province_code="01",
                             members=(HouseholdMemberIn(AN, "chủ hộ"),))
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.add_household(session=s, household=replace(household, **changes))  # type: ignore[arg-type]
    assert [p.field for p in err.value.problems] == fields
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == 0


def test_a_registry_file_past_the_bound_is_refused_before_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Imported whole, all or nothing: a file larger than MAX_FILE_BYTES would take many
    times its size in memory, so it is refused by size, naming the bound."""
    from sibook.registry import importer

    path = tmp_path / "registry.json"
    path.write_text('{"persons": []}', encoding="utf-8")
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValidationError) as refused:
        importer.parse_registry_file(path)
    (problem,) = refused.value.problems
    assert problem.field == "file"
    assert "15 bytes" in problem.reason and "at most 10" in problem.reason


def test_an_empty_registry_file_is_said_to_be_empty(tmp_path: Path) -> None:
    from sibook.registry import importer

    path = tmp_path / "registry.json"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        importer.parse_registry_file(path)
    (problem,) = refused.value.problems  # not "Expecting value: line 1 column 1 (char 0)"
    assert problem.field == "file" and problem.reason.startswith("registry.json is empty")


@pytest.mark.parametrize("what", ["person", "employer"])
def test_the_same_number_registered_twice_at_once_is_one_record_and_one_conflict(
        engine: Engine, what: str) -> None:
    """The second transaction checks before the first commits, so only the unique index can
    see the duplicate: it is the same 409 as the check's, never a crash."""
    def register(s: Session) -> None:
        if what == "person":
            service.register_person(session=s, person=an())
        else:
            service.add_employer(session=s, employer=NewEmployer(
                code=make_enterprise_code(77, "01"), name="Công ty Song Song",
                province_code="01", region="I"))

    outcome: list[str] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                register(s)
            outcome.append("registered")
        except ConflictError as exc:
            outcome.append(str(exc))

    while_held(engine, register, second)
    # the field is the answer's to name (a CLI refusal names it again: "--code: code: ...")
    assert outcome == ([f"a person with personal ID {AN} is already registered"]
                       if what == "person" else
                       [f"employer {make_enterprise_code(77, '01')} is already registered"])
    table = Person if what == "person" else Employer
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(table)) == 1


def test_each_imported_person_is_managed_by_the_office_named_their_households_or_birth_places(
        engine: Engine, tmp_path: Path) -> None:
    """The office named in a person's row, else that of the province of the file's household
    they live in, else that of the province where their birth was registered (the ID's first
    three digits), so a provincial clerk sees everyone; a birth registered abroad and nothing
    else known is refused by its row and nothing is imported."""
    an = {"personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1989-03-02",
          "sex": "male", "birth_registration_place": "001"}
    binh = {"personal_id": BINH, "full_name": "Trần Thị Bình", "birth_date": "1991-07-09",
            "sex": "female", "birth_registration_place": "079"}
    chi_id = make_personal_id("048", date(1990, 5, 5), "male", 48)
    chi = {"personal_id": chi_id, "full_name": "Lê Văn Chi", "birth_date": "1990-05-05",
           "sex": "male", "birth_registration_place": "048"}
    abroad_id = make_personal_id("101", date(1992, 6, 6), "female", 101)
    abroad = {"personal_id": abroad_id, "full_name": "Phạm Thị Dung", "birth_date": "1992-06-06",
              "sex": "female", "birth_registration_place": "101"}
    home = {"code": "HGD-01-1", "address": "Số 9 Lê Lợi", "province_code": "01",
            "members": [{"personal_id": BINH, "relation_to_head": "chủ hộ"}]}
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"persons": [an, abroad]}), encoding="utf-8")
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        service.import_batch(session=s, batch=parse_registry_file(path))
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "persons.managing_office")]
    assert "no SI office can manage this person" in err.value.problems[0].reason
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
    path.write_text(json.dumps({"persons": [{**an, "managing_office": "79000"}, binh, chi,
                                            {**abroad, "managing_office": "01000"}],
                                "households": [home]}), encoding="utf-8")
    with unit_of_work(engine) as s:
        service.import_batch(session=s, batch=parse_registry_file(path))
    with unit_of_work(engine) as s:
        offices = s.execute(select(Person.personal_id, SIProfile.managing_office)
                            .join(SIProfile, SIProfile.person_id == Person.person_id)).all()
    assert sorted(tuple(o) for o in offices) == sorted([
        (AN, "79000"), (BINH, "01000"), (chi_id, "48000"), (abroad_id, "01000")])


def test_the_same_file_imported_twice_at_once_is_one_import_and_its_replay(
        engine: Engine, tmp_path: Path) -> None:
    """A script's retry while its first import still runs: the retry waits for it, then
    answers that import (``replayed``), as a retry after it would, not its rows as taken."""
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"persons": [{
        "personal_id": AN, "full_name": "Nguyễn Văn An", "birth_date": "1989-03-02",
        "sex": "male", "birth_registration_place": "001", "managing_office": "01000"}]}),
        encoding="utf-8")
    batch, digest = parse_registry_file(path), "ab" * 32
    outcome: list[object] = []

    def retry() -> None:
        try:
            with unit_of_work(engine) as s:
                outcome.append(service.import_batch(session=s, batch=batch, content_hash=digest))
        except ValidationError as exc:
            outcome.append(exc.problems)

    while_held(engine, lambda s: service.import_batch(session=s, batch=batch,
                                                      content_hash=digest), retry)
    assert outcome == [{"employers": 0, "persons": 1, "households": 0, "replayed": True}]
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1


def test_the_same_household_code_added_twice_at_once_is_one_household_and_one_refusal(
        engine: Engine) -> None:
    """The second transaction checks the code before the first commits, so only the unique
    index sees it: the same refusal of the code as the check's, never a duplicate-key crash."""
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
        service.register_person(session=s, person=binh())
    outcome: list[object] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                service.add_household(session=s, household=NewHousehold(
                    code="HGD7", address="Huế", province_code="46",
                    members=(HouseholdMemberIn(BINH, "chủ hộ"),)))
            outcome.append("added")
        except ConflictError as exc:  # a code held: the 409 any identifier held gets
            outcome.append(Problem(field=str(exc.field), reason=str(exc)))

    while_held(engine, lambda s: service.add_household(session=s, household=NewHousehold(
        code="HGD7", address="Hà Nội", province_code="01",
        members=(HouseholdMemberIn(AN, "chủ hộ"),))), second)
    assert outcome == [Problem(field="code", reason="household HGD7 is already registered")]
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == 1


@pytest.mark.parametrize(("income", "second_gets"), [
    (3_000_000, "replayed"), (4_000_000, ["voluntary.income"])])
def test_voluntary_si_started_twice_at_once_is_one_period_and_its_replay(
        engine: Engine, income: int, second_gets: object) -> None:
    """A citizen's form sent twice: the second start waits for the first, then answers it
    (replayed), as it would after it, never a duplicate-key crash; with another income it is
    refused naming it."""
    with unit_of_work(engine) as s:
        person_id = service.register_person(session=s, person=an())
    start = VoluntaryStart(income=3_000_000, support_group=None, from_month=None)
    first: list[dict[str, object]] = []
    outcome: list[object] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                outcome.append(start_voluntary(session=s, person_id=person_id, personal_id=AN,
                                               voluntary=replace(start, income=income)))
        except RecordedOtherwise as exc:
            outcome.append([p.field for p in exc.problems])

    while_held(engine, lambda s: first.append(start_voluntary(
        session=s, person_id=person_id, personal_id=AN, voluntary=start)), second)
    assert first[0]["replayed"] is False
    assert outcome == [{**first[0], "replayed": True} if second_gets == "replayed"
                       else second_gets]
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(SIPeriod)) == 1


def test_a_voluntary_start_naming_no_month_run_again_in_a_later_month_is_that_start(
        engine: Engine) -> None:
    """Started on the month's last day (no month named: this month), its answer lost, and run
    again the next day: the same start, answered as the first (it opened its period from
    November), not a start from December refused as participating; a registration too. Run
    in a later month still, it is a start from that month, refused so as before."""
    with unit_of_work(engine) as s:
        person_id = service.register_person(session=s, person=an())
    start = VoluntaryStart(income=3_000_000, support_group=None, from_month=None)
    runs = []
    for day in (date(2026, 11, 30), date(2026, 12, 1)):
        with unit_of_work(engine) as s:
            runs.append(start_voluntary(session=s, person_id=person_id, personal_id=AN,
                                        voluntary=start, today=day))
    assert runs[1] == {**runs[0], "replayed": True}
    assert runs[0]["voluntary"]["from_month"] == "2026-11"
    with pytest.raises(ValidationError, match="already participates"), unit_of_work(engine) as s:
        start_voluntary(session=s, person_id=person_id, personal_id=AN, voluntary=start,
                        today=date(2027, 1, 4))
    pid = make_personal_id("079", date(1991, 7, 9), "female", 4321)
    person = NewPerson(personal_id=pid, full_name="Trần Thị Bình", birth_date=date(1991, 7, 9),
                       sex="female", birth_registration_place="079")
    registered = []
    for day in (date(2026, 11, 30), date(2026, 12, 1)):
        with unit_of_work(engine) as s:
            registered.append(register(
                session=s, person=person, population=LocalPopulationRegistry(s),
                require_match=False, managing_office="01000", voluntary=start, today=day,
                replay_for=lambda _: True))
    assert registered[1] == {**registered[0], "replayed": True}
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(SIPeriod)) == 2


@pytest.mark.parametrize("first_month", [None, Period(2026, 11)])
def test_a_worker_registered_again_once_the_month_turned_is_that_start(
        engine: Engine, first_month: Period | None) -> None:
    """The employer's TK1-TS sent on the month's last day, its answer lost, and sent again the
    next day: its start line was filed for November, and the registration is that start
    (replayed, nothing written), whether it named its first month or left it this month."""
    unit = make_enterprise_code(77, "01")
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=unit, name="Công ty TNHH Tháng Mười Một", province_code="01", region="I"))
    job = EmploymentStart(unit, 12_000_000, 0, None, first_month)
    answers = []
    for day in (date(2026, 11, 30), date(2026, 12, 1)):
        with unit_of_work(engine) as s:
            answers.append(register(
                session=s, person=an(), population=LocalPopulationRegistry(s),
                require_match=False, employment=job, today=day, replay_for=lambda _: True))
    first = answers[0]  # its start line's filing is replayed too
    assert answers[1] == {**first, "declaration": {**first["declaration"], "replayed": True},
                          "replayed": True}
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(SIPeriod)) == 1


def test_a_unit_registered_again_once_the_month_turned_keeps_its_methods_first_month(
        engine: Engine) -> None:
    """A unit paying every 3 months registered on the month's last day naming no first month
    (that month), its answer lost, and sent again the next day: the same registration; sent
    in a later month still, a method from that month, which it is not."""
    unit = NewEmployer(code=make_enterprise_code(78, "01"), name="HTX Muối Bạc Liêu",
                       province_code="01", region="I", payment_cycle="3")
    with unit_of_work(engine) as s:  # as a registration of 30 November recorded it
        employer_id = service.add_employer(
            session=s, employer=replace(unit, payment_cycle_from=Period(2026, 11)))
    with unit_of_work(engine) as s:
        assert registered_again.employer_again(session=s, employer=unit,
                                               today=date(2026, 12, 1)) == employer_id
    with pytest.raises(RecordedOtherwise) as later, unit_of_work(engine) as s:
        registered_again.employer_again(session=s, employer=unit, today=date(2027, 1, 4))
    assert [p.field for p in later.value.problems] == ["payment_cycle_from"]


def test_a_person_placed_in_two_households_at_once_ends_in_the_later_one(
        engine: Engine) -> None:
    """The second household waits for the first, then moves the person, as it does after it;
    never a duplicate membership key."""
    with unit_of_work(engine) as s:
        service.register_person(session=s, person=an())
    outcome: list[object] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                outcome.append(service.add_household(session=s, household=NewHousehold(
                    code="HGD9", address="Huế", province_code="46",
                    members=(HouseholdMemberIn(AN, "chủ hộ"),))))
        except Exception as exc:  # noqa: BLE001 - the test is that nothing is raised
            outcome.append(exc)

    while_held(engine, lambda s: service.add_household(session=s, household=NewHousehold(
        code="HGD8", address="Hà Nội", province_code="01",
        members=(HouseholdMemberIn(AN, "chủ hộ"),))), second)
    (later,) = outcome
    with unit_of_work(engine) as s:
        assert s.scalars(select(HouseholdMember.household_id)).all() == [later]


def test_voluntary_si_started_as_an_employer_takes_the_person_on_is_refused_as_after_it(
        engine: Engine) -> None:
    """An employer's increase numbers the person's next period at the same moment: the start
    waits for it, then is refused as participating, never a duplicate period key."""
    with unit_of_work(engine) as s:
        person_id = service.register_person(session=s, person=an())
    start = VoluntaryStart(income=3_000_000, support_group=None, from_month=None)
    outcome: list[object] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                start_voluntary(session=s, person_id=person_id, personal_id=AN, voluntary=start)
            outcome.append("started")
        except ValidationError as exc:
            outcome.append([p.field for p in exc.problems])

    def staged_increase(s: Session) -> None:  # what the filing's staged increase writes
        s.add(SIPeriod(person_id=person_id, seq=1, from_month=Period(2026, 1).index,
                       to_month=None, kind="compulsory", employer_id=None, job_title=None,
                       salary_basis=9_000_000, allowances=0, occupational_rate_bp=50))
        s.flush()

    while_held(engine, staged_increase, second)
    assert outcome == [["voluntary"]]
    with unit_of_work(engine) as s:
        assert s.scalars(select(SIPeriod.kind)).all() == ["compulsory"]
