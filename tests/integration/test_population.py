"""Both population adapters pass the same contract; registration checks identities with them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, insert, text

from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.ids import make_personal_id
from sibook.registry.new_person import NewPerson
from sibook.registry.population import (
    HttpPopulationRegistry,
    LocalPopulationRegistry,
    PopulationRegistry,
    PopulationUnavailable,
)
from sibook.registry.population_service import create_app
from sibook.registry.registration import PopulationServiceDown, register
from sibook.registry.store import PopulationCitizen
from tests.servers import free_port, serving

BORN = date(1995, 4, 9)
HOA = make_personal_id("079", BORN, "female", 777)


@pytest.fixture
def citizens(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(
            insert(PopulationCitizen).values(
                personal_id=HOA, full_name="Phạm Thị Hoa", birth_date=BORN, sex="female"
            )
        )
    return engine



@pytest.fixture
def http_service(citizens: Engine) -> Iterator[str]:
    with serving(create_app(citizens), free_port()) as base:
        yield base


@pytest.fixture(params=["local", "http"])
def population(request: pytest.FixtureRequest, citizens: Engine) -> Iterator[PopulationRegistry]:
    if request.param == "http":
        yield HttpPopulationRegistry(request.getfixturevalue("http_service"))
    else:
        with unit_of_work(citizens) as session:
            yield LocalPopulationRegistry(session)


def test_a_known_citizen_is_found_with_their_identity(population: PopulationRegistry) -> None:
    found = population.lookup(HOA)
    assert found is not None
    assert (found.full_name, found.birth_date, found.sex) == ("Phạm Thị Hoa", BORN, "female")


def test_an_unknown_citizen_is_none(population: PopulationRegistry) -> None:
    assert population.lookup(make_personal_id("001", BORN, "male", 1)) is None


def test_an_unreachable_service_is_an_error_not_a_none() -> None:
    with pytest.raises(PopulationUnavailable):
        HttpPopulationRegistry(f"http://127.0.0.1:{free_port()}", timeout=0.5).lookup(HOA)


def hoa(**changes: object) -> NewPerson:
    base = dict(
        personal_id=HOA,
        full_name="Phạm Thị Hoa",
        birth_date=BORN,
        sex="female",
        birth_registration_place="079",
    )
    return NewPerson(**{**base, **changes})  # type: ignore[arg-type]


def test_registration_refuses_an_identity_that_differs_from_the_population_record(
    citizens: Engine,
) -> None:
    with (
        pytest.raises(ValidationError, match="personal_id: the full name, birth date and sex"),
        unit_of_work(citizens) as s,
    ):
        register(
            session=s,
            person=hoa(full_name="Phạm Thị Hòa"),
            population=LocalPopulationRegistry(s),
            require_match=True,
        )


def test_registration_verifies_a_matching_identity_and_issues_the_book(citizens: Engine) -> None:
    with unit_of_work(citizens) as s:
        result = register(
            session=s,
            person=hoa(full_name="PHẠM THỊ HOA"),
            population=LocalPopulationRegistry(s),
            require_match=True,
            managing_office="01000",
        )
    assert result["identity_verified"] is True
    assert (result["book_number"], result["book_status"], result["book_version"]) == (
        HOA,
        "active",
        1,
    )


def test_a_down_population_service_registers_nobody(citizens: Engine) -> None:
    down = HttpPopulationRegistry(f"http://127.0.0.1:{free_port()}", timeout=0.5)
    with pytest.raises(PopulationServiceDown), unit_of_work(citizens) as s:
        register(session=s, person=hoa(), population=down, require_match=False)
    with citizens.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar_one() == 0


def test_the_database_refuses_a_person_without_a_book(engine: Engine) -> None:
    with pytest.raises(Exception, match="(?i)foreign key"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO persons (person_id, personal_id, full_name, birth_date, sex, "
                "ethnicity, "
                f"nationality, birth_registration_place, realm) VALUES (1, '{HOA}', 'X', "
                "'1995-04-09', 'female', 'Kinh', 'VN', '079', 'civil')"
            )
        )


# Run in a fresh interpreter: this worker's heap holds what earlier tests left (their unclosed
# files, whose ResourceWarnings a collection here would count), and collecting it took 30-40 s.
LOOKUP_ALONE = """
import gc, sys, warnings
warnings.simplefilter("always", ResourceWarning)
from sibook.registry.population import HttpPopulationRegistry
assert HttpPopulationRegistry(sys.argv[1]).lookup(sys.argv[2]) is not None
gc.collect()
"""


def test_a_lookup_over_http_leaves_no_connection_open(http_service: str) -> None:
    """Each registration makes its own adapter: a client left open by one would hold its
    connection until the garbage collector found it (a ResourceWarning), request after
    request."""
    done = subprocess.run([sys.executable, "-c", LOOKUP_ALONE, http_service, HOA],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ResourceWarning" not in done.stderr
