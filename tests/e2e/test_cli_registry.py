"""The registry commands of the public contract, run as a user runs them (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sibook.ids import is_valid_personal_id

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "sibook.db"
    result = run(db, "seed", "--people", "300", "--employers", "12", "--seed", "4", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["people"] == 300
    return db


def test_persons_list_answers_per_contract(seeded: Path) -> None:
    result = run(seeded, "persons", "list", "--limit", "5", "--json")
    assert result.returncode == 0, result.stderr
    persons = json.loads(result.stdout)["persons"]
    assert len(persons) == 5
    assert set(persons[0]) == {"personal_id", "full_name", "birth_date", "employer"}
    assert all(is_valid_personal_id(p["personal_id"]) for p in persons)
    assert [p["personal_id"] for p in persons] == sorted(p["personal_id"] for p in persons)


def test_persons_list_by_employer_shows_only_its_current_workers(seeded: Path) -> None:
    employers = json.loads(run(seeded, "employers", "list", "--json").stdout)["employers"]
    code = employers[0]["code"]
    persons = json.loads(
        run(seeded, "persons", "list", "--employer", code, "--limit", "1000", "--json").stdout
    )["persons"]
    assert persons and all(p["employer"] == code for p in persons)


def test_employers_list_answers_per_contract(seeded: Path) -> None:
    result = run(seeded, "employers", "list", "--limit", "3", "--json")
    employers = json.loads(result.stdout)["employers"]
    assert len(employers) == 3
    assert set(employers[0]) == {"code", "name", "province_code", "region"}
    assert employers[0]["region"] in ("I", "II", "III", "IV")


def test_an_unknown_employer_is_refused_with_exit_1(seeded: Path) -> None:
    result = run(seeded, "persons", "list", "--employer", "0000000000", "--json")
    assert result.returncode == 1
    assert "no employer" in json.loads(result.stdout)["errors"][0]["reason"]


def test_a_bad_flag_is_a_usage_error(seeded: Path) -> None:
    assert run(seeded, "persons", "list", "--limit", "zero").returncode == 2


def test_an_invalid_registry_file_changes_nothing(seeded: Path, tmp_path: Path) -> None:
    before = run(seeded, "persons", "list", "--limit", "100000", "--json").stdout
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "persons": [
                    {
                        "personal_id": "001089012345",
                        "full_name": "Nguyễn Văn An",
                        "birth_date": "1989-02-30",
                        "sex": "male",
                        "birth_registration_place": "001",
                    }
                ]
            }
        )
    )
    result = run(seeded, "persons", "import", str(bad))
    assert result.returncode == 1
    assert "row 1, persons.birth_date" in result.stderr
    assert run(seeded, "persons", "list", "--limit", "100000", "--json").stdout == before
