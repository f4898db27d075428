"""Seeds a database with a synthetic national population, in one transaction, batch by batch."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, func, select

from sibook.core.bulk import advance_sequences, write
from sibook.core.errors import ConflictError, ValidationError
from sibook.registry.store import Person
from sibook.seed import employers as employer_gen
from sibook.seed.population import COLUMNS, Population

BATCH_PEOPLE = 5_000  # memory stays flat: one batch of rows is alive at a time


@dataclass(frozen=True)
class SeedReport:
    people: int
    employers: int
    rows: int
    skipped: bool = False


def seed(
    *,
    engine: Engine,
    people: int,
    employers: int,
    seed: int = 1,
    today: date | None = None,
    if_empty: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Add ``people`` persons (in households, with careers) and ``employers`` units."""
    if people < 0 or employers < 1:
        raise ValidationError(
            field="--people/--employers", reason="need people >= 0 and at least 1 employer"
        )
    with engine.begin() as conn:
        existing = conn.execute(select(func.count()).select_from(Person)).scalar_one()
        if existing:
            if if_empty:
                return SeedReport(0, 0, 0, skipped=True)
            raise ConflictError(
                f"the database already holds {existing} persons; seed a fresh database "
                "(or pass --if-empty to skip)"
            )
        rng = random.Random(f"employers-{seed}")
        employer_rows, refs = employer_gen.generate(rng, employers, first_id=1)
        write(conn, "employers", employer_gen.COLUMNS, employer_rows)
        population = Population(seed=seed, employers=refs, today=today or date.today())
        rows_written = len(employer_rows)
        done = 0
        while done < people:
            batch = population.batch(min(BATCH_PEOPLE, people - done))
            for table, columns in COLUMNS.items():
                write(conn, table, columns, getattr(batch, table))
            rows_written += batch.count()
            made = len(batch.persons)
            done += made
            if progress:
                progress(made)
        advance_sequences(
            conn, {"persons": "person_id", "households": "household_id", "employers": "employer_id"}
        )
    return SeedReport(people=done, employers=employers, rows=rows_written)
