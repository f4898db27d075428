"""Seeds a database with a synthetic national population, in one transaction, batch by batch.

Generating people and writing them overlap: a child process generates batches (one random
stream, so the output stays deterministic) while this process writes the previous batch through
the bulk path. The queue between them is short, so memory stays flat in the number of people.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from queue import Full
from typing import Any

from sqlalchemy import Engine, func, select, text

from sibook.core.bulk import advance_sequences, analyze, write
from sibook.core.errors import ConflictError, ValidationError
from sibook.core.period import Period
from sibook.registry.store import Employer, Person
from sibook.seed import employers as employer_gen
from sibook.seed.benefits import seed_benefits
from sibook.seed.careers import EmployerRef
from sibook.seed.ledger import FIRST_LEDGER_MONTH, seed_ledger
from sibook.seed.population import COLUMNS, Population, Rows
from sibook.seed.visits import seed_visits
from sibook.seed.voluntary import seed_voluntary_payments

BATCH_PEOPLE = 5_000  # people per batch; at most QUEUE_BATCHES + 2 batches are alive at once
QUEUE_BATCHES = 2
ORPHAN_CHECK_SECONDS = 0.5  # how often a generator waiting on a full queue checks its writer


@dataclass(frozen=True)
class SeedReport:
    people: int
    employers: int
    rows: int
    skipped: bool = False
    held: tuple[int, int] = (0, 0)  # skipped: the persons and employers the database holds


def seed(
    *,
    engine: Engine,
    people: int,
    employers: int,
    seed: int = 1,
    today: date | None = None,
    if_empty: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_people: int = BATCH_PEOPLE,
) -> SeedReport:
    """Add ``people`` persons (in households, with careers) and ``employers`` units."""
    if people < 0 or employers < 1:
        raise ValidationError(
            field="--people/--employers", reason="need people >= 0 and at least 1 employer"
        )
    day = today or date.today()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two seeds at once (or a registration meanwhile) would take the same ids: the
            # second waits for the first's commit, then finds the database populated. (SQLite's
            # writer lock, taken at BEGIN, already keeps them apart.)
            conn.execute(text("LOCK TABLE employers, persons IN SHARE ROW EXCLUSIVE MODE"))
        # Employers count too: the synthetic ones take ids from 1 and would collide.
        persons = conn.execute(select(func.count()).select_from(Person)).scalar_one()
        units = conn.execute(select(func.count()).select_from(Employer)).scalar_one()
        if persons or units:
            if if_empty:
                return SeedReport(0, 0, 0, skipped=True, held=(persons, units))
            raise ConflictError(
                f"the database already holds {persons} persons and {units} employers; seed a "
                "fresh database (or pass --if-empty to skip)"
            )
        employer_rows, refs = employer_gen.generate(
            random.Random(f"employers-{seed}"), employers, first_id=1
        )
        write(conn, "employers", employer_gen.COLUMNS, employer_rows)
        rows_written, done = len(employer_rows), 0
        for batch in _batches(seed, refs, day, people, batch_people):
            for table, columns in COLUMNS.items():
                write(conn, table, columns, getattr(batch, table))
            rows_written += batch.count()
            done += len(batch.persons)
            if progress:
                progress(len(batch.persons))
        codes = {int(str(r[0])): str(r[1]) for r in employer_rows}
        rows_written += employer_gen.seed_payment_cycles(conn, refs, FIRST_LEDGER_MONTH)
        rows_written += employer_gen.seed_regime_changes(conn, employer_rows, seed=seed,
                                                         month=Period.of(day))
        rows_written += seed_ledger(conn, seed=seed, codes=codes, today=day)
        rows_written += seed_voluntary_payments(conn, seed=seed, today=day)
        rows_written += seed_benefits(conn, seed=seed, today=day)
        rows_written += seed_visits(conn, seed=seed, today=day)
        advance_sequences(
            conn,
            {
                "persons": "person_id",
                "households": "household_id",
                "employers": "employer_id",
                "payments": "payment_id",
            },
        )
        analyze(conn)
    return SeedReport(people=done, employers=employers, rows=rows_written)


def _batches(
    seed: int, refs: list[EmployerRef], today: date, people: int, size: int
) -> Iterator[Rows]:
    """Batches from a generator process; a seed of one batch is generated in this process."""
    if people <= size:
        population = Population(seed=seed, employers=refs, today=today)
        if people:
            yield population.batch(people)
        return
    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue(maxsize=QUEUE_BATCHES)
    worker = ctx.Process(
        target=_generate, args=(queue, seed, refs, today, people, size), daemon=True
    )
    worker.start()
    try:
        while (batch := queue.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        worker.kill()
        worker.join()


def _generate(
    queue: Any, seed: int, refs: list[EmployerRef], today: date, people: int, size: int
) -> None:
    try:
        population = Population(seed=seed, employers=refs, today=today)
        done = 0
        while done < people:
            batch = population.batch(min(size, people - done))
            done += len(batch.persons)
            _hand_over(queue, batch)
        _hand_over(queue, None)
    except BaseException as exc:  # the parent re-raises it: a failed seed must not look done
        _hand_over(queue, exc)


def _hand_over(queue: Any, item: object) -> None:
    """Put ``item`` in the writer's queue, and end this process if the writer has died (killed
    with the seed's command). Forked inside the writer's transaction, this process holds a copy
    of its connection: while it lives, PostgreSQL sees the client alive and keeps the dead
    writer's transaction open, with its locks on persons and employers (every registration
    waits on them), and a full queue would keep it waiting for ever."""
    writer = mp.parent_process()
    while True:
        if writer is not None and not writer.is_alive():
            os._exit(1)  # nothing to clean up: the rows were the writer's to write
        try:
            queue.put(item, timeout=ORPHAN_CHECK_SECONDS)
            return
        except Full:
            continue
