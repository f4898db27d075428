"""Builders shared by the ledger tests: an employer and workers registered through the services."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from sibook.core.db import unit_of_work
from sibook.ids import make_enterprise_code, make_personal_id
from sibook.registry import service
from sibook.registry.domain import NewEmployer, NewPerson
from sibook.registry.population import LocalPopulationRegistry
from sibook.registry.registration import register

EMPLOYER = make_enterprise_code(4242, "01")
TODAY = date(2026, 3, 15)
LEDGER_TABLES = (
    "si_periods",
    "ui_periods",
    "declarations",
    "ledger_entries",
    "payments",
    "payment_allocations",
    "persons",
    "si_books",
    "hi_cards",
)


def worker_id(n: int) -> str:
    return make_personal_id("001", date(1990, 1, 1 + n % 28), "male", 1000 + n)


def setup_workers(engine: Engine, count: int, *, region: str = "I") -> list[str]:
    """An employer in ``region`` and ``count`` registered men with no period yet."""
    ids = [worker_id(n) for n in range(count)]
    with unit_of_work(engine) as s:
        service.add_employer(
            session=s,
            employer=NewEmployer(
                code=EMPLOYER, name="Công ty TNHH Sổ Xanh", province_code="01", region=region
            ),
        )
        for n, pid in enumerate(ids):
            register(
                session=s,
                person=NewPerson(
                    personal_id=pid,
                    full_name=f"Nguyễn Văn Thợ {n}",
                    birth_date=date(1990, 1, 1 + n % 28),
                    sex="male",
                    birth_registration_place="001",
                ),
                population=LocalPopulationRegistry(s),
                require_match=False,
                today=TODAY,
            )
    return ids


def csv_of(rows: list[tuple[str, str, int | None, str]]) -> bytes:
    lines = ["personal_id,case_code,salary,from_month"]
    lines += [
        f"{pid},{code},{'' if salary is None else salary},{month}"
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
