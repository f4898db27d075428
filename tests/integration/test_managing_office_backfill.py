"""Migration 0017: civil persons registered before every registration gave a managing SI office
get the one registration gives today; a ministry's people and births abroad keep none."""

from __future__ import annotations

import importlib.util
import logging
from datetime import date
from types import ModuleType

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, text, update

from sibook.core import migrate
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.ids.provinces import historical_provinces
from sibook.registry import reading, service
from sibook.registry.new_household import HouseholdMemberIn, NewHousehold
from sibook.registry.new_person import NewPerson

BACKFILL = "0017"  # the revision under test; the one before it is read from its file
THIS_MONTH = Period.of(date.today())


def _before(engine: Engine) -> None:
    """The database at the revision before the backfill."""
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _migration().down_revision)


def _person(engine: Engine, serial: int, prefix: str, *, realm: str = "civil",
            office: str | None = None, profile: bool = True) -> str:
    """A person as registered before the backfill: a profile with no office (or
    ``office``), or, as a registry file's import left them, no profile at all."""
    born = date(1985, 3, 1)
    pid = make_personal_id(prefix, born, "female", serial)
    with unit_of_work(engine) as s:
        person_id = service.register_person(session=s, person=NewPerson(
            personal_id=pid, full_name=f"Trần Thị Mai {serial}", birth_date=born,
            sex="female", birth_registration_place=prefix, realm=realm))
        if profile:
            s.execute(insert(metadata.tables["si_profiles"]).values(
                person_id=person_id, managing_office=office, participant_type="registered",
                payment_method="monthly"))
    return pid


def _employer(engine: Engine, number: int, province: str, realm: str = "civil") -> int:
    """A unit as the schema before the backfill holds it: its columns of then only (today's
    model has columns later revisions add)."""
    with unit_of_work(engine) as s:
        return int(s.execute(text(
            "INSERT INTO employers (code, name, province_code, region, occupational_rate_bp, "
            "realm) VALUES (:code, :name, :province, 'I', 50, :realm) RETURNING employer_id"),
            {"code": make_enterprise_code(number, province), "name": f"Công ty {number}",
             "province": province, "realm": realm}).scalar_one())


def _works(engine: Engine, pid: str, employer_id: int, months: tuple[Period, Period | None],
           seq: int = 1) -> None:
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=reading.registered_id(session=s, personal_id=pid), seq=seq,
            from_month=months[0].index, to_month=months[1] and months[1].index,
            kind="compulsory", employer_id=employer_id, salary_basis=6_000_000, allowances=0,
            occupational_rate_bp=50))


def _lives(engine: Engine, code: str, province: str, *pids: str) -> None:
    with unit_of_work(engine) as s:
        service.add_household(session=s, household=NewHousehold(
            code=code, address="12 Phố Huế", province_code=province,
            members=tuple(HouseholdMemberIn(pid, "chủ hộ" if n == 0 else "con")
                          for n, pid in enumerate(pids))))


def _offices(engine: Engine) -> dict[str, str | None]:
    """Each person's managing office; absent: no profile."""
    persons, profiles = metadata.tables["persons"], metadata.tables["si_profiles"]
    with engine.connect() as conn:
        rows = conn.execute(select(persons.c.personal_id, profiles.c.managing_office)
                            .join(profiles, profiles.c.person_id == persons.c.person_id))
        return {pid: office for pid, office in rows}


def _build_the_cases(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """Persons of each kind before the backfill, by name: (personal ID, the office the
    backfill leaves)."""
    in_hcmc, in_danang = _employer(engine, 7001, "79"), _employer(engine, 7002, "48")
    cases = {
        # Born in Hà Nội, living in Hải Phòng, working in TP HCM now: the employer's province.
        "employee": (_person(engine, 1, "001"), "79000"),
        # Born in Hà Nội, living in Hải Phòng; the job in Đà Nẵng ended last year.
        "household": (_person(engine, 2, "001"), "31000"),
        # Born in Hà Giang (002), part of Tuyên Quang (08) since 2025; nothing else known.
        "birthplace": (_person(engine, 3, "002"), "08000"),
        # Imported from a registry file before imports gave a profile: the row is written.
        "no_profile": (_person(engine, 4, "036", profile=False), "37000"),
        # Birth registered in Afghanistan (101): no province.
        "abroad": (_person(engine, 5, "101"), None),
        "defence": (_person(engine, 6, "001", realm="defence"), None),
        # An office named at registration stays, though the household is in another province.
        "named": (_person(engine, 7, "001", office="01005"), "01005"),
    }
    pid = {name: case[0] for name, case in cases.items()}
    _works(engine, pid["employee"], in_hcmc, (THIS_MONTH - 3, None))
    _works(engine, pid["employee"], in_danang, (THIS_MONTH - 40, THIS_MONTH - 30), seq=0)
    _works(engine, pid["household"], in_danang, (THIS_MONTH - 30, THIS_MONTH - 12))
    _works(engine, pid["defence"], _employer(engine, 7004, "48", realm="defence"),
           (THIS_MONTH - 3, None))
    _lives(engine, "HP-0001", "31", pid["employee"], pid["household"], pid["named"])
    return cases


def test_civil_persons_without_an_office_get_the_one_registration_gives_today(
        engine: Engine) -> None:
    _before(engine)
    cases = _build_the_cases(engine)
    migrate.upgrade(engine)
    offices = _offices(engine)
    assert {name: offices.get(pid) for name, (pid, _) in cases.items()} == {
        name: office for name, (_, office) in cases.items()}
    assert cases["abroad"][0] in offices  # kept its profile, with no office
    assert cases["defence"][0] in offices


def test_a_province_closed_by_the_2025_merger_counts_as_the_one_it_joined(
        engine: Engine) -> None:
    """A household or unit stored under a code closed in 2025 (before the registry refused
    them) is managed by the office of the province it is part of now."""
    _before(engine)
    worker, resident = _person(engine, 11, "001"), _person(engine, 12, "001")
    unit = _employer(engine, 7003, "79")
    _works(engine, worker, unit, (THIS_MONTH, None))
    _lives(engine, "BD-0001", "79", resident)
    employers, households = metadata.tables["employers"], metadata.tables["households"]
    with engine.begin() as conn:  # as stored before the registry refused closed codes
        conn.execute(update(employers).values(province_code="36"))  # Nam Định -> Ninh Bình
        conn.execute(update(households).values(province_code="74"))  # Bình Dương -> TP HCM
    migrate.upgrade(engine)
    offices = _offices(engine)
    assert (offices[worker], offices[resident]) == ("37000", "79000")


def test_the_persons_left_without_an_office_are_counted_in_alembics_log(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    _before(engine)
    _person(engine, 21, "101")
    _person(engine, 22, "295", profile=False)
    _person(engine, 23, "001")
    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        migrate.upgrade(engine)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{BACKFILL}: 2 civil person(s) still have no managing SI office")


def test_undoing_the_migration_leaves_the_offices_it_gave(engine: Engine) -> None:
    _before(engine)
    pid = _person(engine, 31, "079")
    migrate.upgrade(engine)
    _before(engine)
    assert _offices(engine)[pid] == "79000"


def _migration() -> ModuleType:
    path = next((migrate.MIGRATIONS / "versions").glob(f"*_{BACKFILL}_*.py"))
    spec = importlib.util.spec_from_file_location(f"backfill_{BACKFILL}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_copy_of_the_provinces_is_the_registrys() -> None:
    registry = tuple((p.id_prefix, p.code, p.merged_into.code) for p in historical_provinces())
    assert registry == _migration().MERGED
