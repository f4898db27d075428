"""Builders shared by the ledger tests: an employer and workers registered through the services."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from sibook.access import tokens
from sibook.contributions import staged_lookup
from sibook.core.db import unit_of_work
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import service
from sibook.registry.new_employer import NewEmployer
from sibook.registry.new_person import NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import register
from tests.databases import migrated_sqlite
from tests.servers import app_on

EMPLOYER = make_enterprise_code(4242, "01")
OTHER_EMPLOYER = make_enterprise_code(5151, "79")
TODAY = date(2026, 3, 15)
LEDGER_TABLES = (
    "si_periods",
    "ui_periods",
    "declarations",
    "ledger_entries",
    "ledger_starts",
    "payments",
    "payment_allocations",
    "persons",
    "si_books",
    "hi_cards",
)


def worker_id(n: int) -> str:
    return make_personal_id("001", date(1990, 1, 1 + n % 28), "male", 1000 + n)


def worker_name(n: int) -> str:
    return f"Nguyễn Văn Thợ {n}"


# The name setup_workers registers under each worker's ID: csv_of writes it on their lines, as
# an employer's list names each worker (a worker new to the employer must be named).
WORKER_NAMES = {worker_id(n): worker_name(n) for n in range(1_000)}


def setup_workers(engine: Engine, count: int, *, region: str = "I",
                  salary_regime: str = "employer") -> list[str]:
    """An employer in ``region`` and ``count`` registered men with no period yet; the
    employer sets its pay, or with ``salary_regime="state"`` pays by the state's scale."""
    ids = [worker_id(n) for n in range(count)]
    with unit_of_work(engine) as s:
        service.add_employer(
            session=s,
            employer=NewEmployer(
                code=EMPLOYER, name="Công ty TNHH Sổ Xanh", province_code="01", region=region,
                salary_regime=salary_regime,
            ),
        )
        for n, pid in enumerate(ids):
            register(
                session=s,
                person=NewPerson(
                    personal_id=pid,
                    full_name=worker_name(n),
                    birth_date=date(1990, 1, 1 + n % 28),
                    sex="male",
                    birth_registration_place="001",
                ),
                population=LocalPopulationRegistry(s),
                require_match=False,
                today=TODAY,
                managing_office="01000",
            )
    return ids


def add_other_employer(engine: Engine) -> str:
    """A second employer (region I, in Ho Chi Minh City): OTHER_EMPLOYER."""
    with unit_of_work(engine) as s:
        service.add_employer(session=s, employer=NewEmployer(
            code=OTHER_EMPLOYER, name="Công ty Khác", province_code="79", region="I"))
    return OTHER_EMPLOYER


T = TypeVar("T")


def paused_after_its_look_up(monkeypatch: pytest.MonkeyPatch, first: Callable[[], T],
                             meanwhile: Callable[[], object]) -> T | Exception:
    """What ``first`` (a filing) returned or raised when ``meanwhile`` (another filing, run to
    its commit) came between its look-up of the workers and its changes: two filings at the
    same moment on PostgreSQL, made deterministic. ``first`` runs on a thread of its own."""
    looked, go = threading.Event(), threading.Event()
    look_up = staged_lookup.look_up

    def look_up_then_wait(conn: Connection, step: int, employer_id: int, realm: str) -> None:
        look_up(conn, step, employer_id, realm)
        if not looked.is_set():  # the first filing's; the other one runs once it is set
            looked.set()
            go.wait(60)

    monkeypatch.setattr(staged_lookup, "look_up", look_up_then_wait)
    outcome: list[T | Exception] = []

    def run() -> None:
        try:
            outcome.append(first())
        except Exception as exc:  # noqa: BLE001 - the caller asserts what it was
            outcome.append(exc)

    racer = threading.Thread(target=run)
    racer.start()
    try:
        assert looked.wait(60), "the first filing never looked its workers up"
        meanwhile()
    finally:
        go.set()
        racer.join(timeout=60)
    return outcome[0]


def csv_of(rows: list[tuple[str, str, int | None, str]],
           names: dict[str, str] | None = None) -> bytes:
    """A D02-LT list of ``rows`` (personal ID, case code, salary, from month), each worker
    named as registered (``names``, or setup_workers' names; blank for anyone else)."""
    named = {**WORKER_NAMES, **(names or {})}
    lines = ["personal_id,full_name,case_code,salary,from_month"]
    lines += [
        f"{pid},{named.get(pid, '')},{code},{'' if salary is None else salary},{month}"
        for pid, code, salary, month in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the ledger-related tables, to prove a refused filing changed nothing."""
    with engine.connect() as conn:
        return {
            t: sorted(tuple(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {t}")))
            for t in LEDGER_TABLES
        }


def employer_filing(engine: Engine) -> Callable[[bytes], Any]:
    """POST a D02 file for 2026-01 as the unit EMPLOYER itself, over the API on ``engine``."""
    client = TestClient(app_on(engine))
    token = tokens.issue({"sub": f"client-{EMPLOYER}", "kind": "employer",
                          "unit_code": EMPLOYER})

    def file(data: bytes, name: str = "d02.csv") -> Any:
        return client.post(f"/api/v1/employers/{EMPLOYER}/declarations",
                           headers={"Authorization": f"Bearer {token}"},
                           data={"month": "2026-01"}, files={"file": (name, data, "text/csv")})

    return file


def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fixture's body for the CLI's tests: a migrated SQLite file and a keys folder in
    ``tmp_path`` named by the settings (read again for each test), the ledger's workers set
    up; ``yield from`` it."""
    from sibook.core.config import get_settings
    from sibook.core.db import default_engine

    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(tmp_path / "cli.db"))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    engine = default_engine()
    setup_workers(engine, 1)
    yield engine
    get_settings.cache_clear()
