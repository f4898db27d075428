"""Appending to the access log: a filing's log and single entries, beside a plain multi-row
INSERT of as many rows.

A filing logs its workers while it holds the chain's head row, which every read of personal
data waits for: since migration 0022 as one group entry naming them (``audit.append_for``, what
``sibook declare`` and the API do), before it one entry each. Both are timed: the filing's log
of N persons, and N entries naming one person each (two officers' reads, alternately, which
never group), whose cost per entry is the log's cost for reads one by one.

Run: ``.venv/bin/python bench/bench_audit.py [--entries 50000] [--backend postgresql|sqlite]``.
Uses a throw-away migrated database (``scratch_db.py``), dropped afterwards.

``--verify N``: instead, ``sibook audit verify`` (``chain.verify``) of a log of N filings of
``--entries`` persons each, in two databases filled alike, one without and one with an index on
``access_log_subjects (seq, person_id)``, the order the walk reads it in (the table's key leads
with the person); each filing's log is timed as it is written (what the index costs a filing),
then verify, alternately.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from scratch_db import drop, fresh  # bench/scratch_db.py (scripts run from bench/)
from sqlalchemy import Engine, text

from sibook.access import audit, chain
from sibook.core.db import make_engine, unit_of_work

INSERT = text(
    "INSERT INTO access_log (seq, at, actor_kind, actor_id, person_id, action, route, purpose, "
    "outcome, prev_hash, hash) VALUES (:seq, :at, :actor_kind, :actor_id, :person_id, "
    ":action, :route, :purpose, :outcome, :prev_hash, :hash)")


def plain_insert(engine: Engine, count: int) -> float:
    """Seconds for the baseline: the same number of rows, hashes made up, rolled back."""
    at = datetime.now(UTC)
    rows = [{"seq": 10**9 + n, "at": at, "actor_kind": "operator", "actor_id": "root@host",
             "person_id": n, "action": "contribution.declare", "route": "cli: sibook declare",
             "purpose": "operator command", "outcome": "allowed", "prev_hash": f"{n:064x}",
             "hash": f"{n + 1:064x}"} for n in range(count)]
    with engine.connect() as conn:
        start = time.perf_counter()
        conn.execute(INSERT, rows)
        took = time.perf_counter() - start
        conn.rollback()
    return took


FILING = audit.Access(actor_kind="operator", actor_id="root@host", action="contribution.declare",
                      route="cli: sibook declare", purpose="operator command")


def filing(engine: Engine, count: int) -> float:
    """Seconds to log a filing of ``count`` workers, as ``cli.context.logged`` does."""
    start = time.perf_counter()
    with unit_of_work(engine) as s:
        audit.append_for(session=s, access=FILING, person_ids=range(count))
    return time.perf_counter() - start


def singles(engine: Engine, count: int) -> float:
    """Seconds to append ``count`` entries naming one person each (no two alike but for it)."""
    accesses = [audit.Access(actor_kind="officer", actor_id=f"clerk-{n % 2}",
                             action="person.read", route="GET /api/v1/persons/{personal_id}",
                             purpose="read a person's record", person_id=n)
                for n in range(count)]
    start = time.perf_counter()
    with unit_of_work(engine) as s:
        audit.append_many(session=s, accesses=accesses)
    return time.perf_counter() - start


def hashing(count: int) -> tuple[float, float]:
    """CPU seconds to chain ``count`` entries' hashes: json.dumps of each entry's fields (the
    canonical form verify() reads) beside the append's encoder (the same bytes)."""
    accesses = [audit.Access(actor_kind="operator", actor_id="root@host",
                             action="contribution.declare", route="cli: sibook declare",
                             purpose="operator command", person_id=n) for n in range(count)]
    instant = "2026-11-28T01:02:03.000004+00:00"
    start, prev = time.process_time(), "0" * 64
    for seq, access in enumerate(accesses, 1):
        fields = {"seq": seq, "at": instant, "prev_hash": prev, **access.hashed()}
        prev = hashlib.sha256(audit._encoded(fields)).hexdigest()
    canonical, last = time.process_time() - start, prev
    encoded = audit._encoder(instant)
    start, prev = time.process_time(), "0" * 64
    for seq, access in enumerate(accesses, 1):
        prev = hashlib.sha256(encoded(access, seq, prev)).hexdigest()
    assert prev == last, "the encoder's bytes differ from the canonical JSON"
    return canonical, time.process_time() - start


SEQ_INDEX = "ix_access_log_subjects_seq"
BLOCKS = 4  # the filings name BLOCKS distinct sets of persons in turn, as monthly filings do


def with_seq_index(engine: Engine, indexed: bool) -> None:
    """Make the schema with or without the seq index, whatever the migrations made."""
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {SEQ_INDEX}"))
        if indexed:
            conn.execute(text(f"CREATE INDEX {SEQ_INDEX} ON access_log_subjects (seq, person_id)"))


def fill(engine: Engine, filings: int, persons: int) -> list[float]:
    """Seconds of each of ``filings`` filings' logs of ``persons`` workers each."""
    took = []
    for k in range(filings):
        first = (k % BLOCKS) * persons
        took.append(filing_of(engine, range(first, first + persons)))
    with engine.begin() as conn:  # what autovacuum would have done by the time one verifies
        conn.execute(text("ANALYZE"))
    return took


def filing_of(engine: Engine, person_ids: range) -> float:
    start = time.perf_counter()
    with unit_of_work(engine) as s:
        audit.append_for(session=s, access=FILING, person_ids=person_ids)
    return time.perf_counter() - start


def verifying(engine: Engine) -> float:
    start = time.perf_counter()
    with unit_of_work(engine) as s:
        report = chain.verify(session=s)
    assert report.intact, report
    return time.perf_counter() - start


SUBJECTS = "SELECT seq, person_id FROM access_log_subjects ORDER BY seq, person_id"


def subjects_plan(engine: Engine) -> str:
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        return "; ".join(str(row[-1]) for row in conn.execute(text(explain + SUBJECTS)))


def ordered_read(engine: Engine) -> float:
    """Seconds the database takes to give verify's subject rows in its order (sort or index
    walk), without Python's handling of them: PostgreSQL's own execution time of the query,
    or SQLite's rows stepped through by its C cursor."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, TIMING OFF) {SUBJECTS}").scalars()
            line = next(p for p in plan if p.startswith("Execution Time:"))
            return float(line.split()[2]) / 1000
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        start = time.perf_counter()
        for _ in cursor.execute(SUBJECTS):
            pass
        return time.perf_counter() - start


def serial_engine(engine: Engine) -> Engine | None:
    """On PostgreSQL, ``engine``'s database with no parallel workers: a parallel sort's
    workers feed its Gather Merge for as long as the rows are fetched."""
    if engine.dialect.name != "postgresql":
        return None
    url = engine.url.update_query_dict({"options": "-c max_parallel_workers_per_gather=0"})
    return make_engine(url.render_as_string(hide_password=False))


def verify_bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        made = [fresh(args.backend, Path(workdir)) for _ in range(2)]
        try:
            writes: list[list[float]] = []
            for (engine, _), indexed in zip(made, (False, True), strict=True):
                with_seq_index(engine, indexed)
                writes.append(fill(engine, args.verify, args.entries))
            plans = [subjects_plan(engine) for engine, _ in made]
            checks: list[list[float]] = [[], []]
            reads: list[list[float]] = [[], []]
            serial = serial_engine(made[0][0])
            serially: list[float] = []
            for _ in range(args.runs):
                for at, (engine, _) in enumerate(made):
                    reads[at].append(ordered_read(engine))
                    checks[at].append(verifying(engine))
                if serial is not None:
                    serially.append(verifying(serial))
            if serial is not None:
                serial.dispose()
        finally:
            for engine, name in made:
                engine.dispose()
                drop(name)
    rows = args.verify * args.entries
    print(f"{args.backend}, {args.verify} filings of {args.entries:,} persons "
          f"({rows:,} subject rows)")
    labels = ("without the seq index", "with the seq index")
    for label, took, verified, read, plan in zip(labels, writes, checks, reads, plans,
                                                 strict=True):
        print(f"{label}: filing's log, s, first/median/last "
              f"{took[0]:.3f}/{sorted(took)[len(took) // 2]:.3f}/{took[-1]:.3f} "
              f"(all: {', '.join(f'{t:.3f}' for t in took)})")
        print(f"{label}: verify, s, every run {', '.join(f'{t:.2f}' for t in verified)}"
              f" ({rows / min(verified):,.0f} subject rows/s at best)")
        print(f"{label}: the ordered read alone, s, every run "
              f"{', '.join(f'{t:.2f}' for t in read)}")
        print(f"{label}: plan: {plan}")
    if serially:
        print("without the seq index, no parallel workers (its sort in one process): verify, s, "
              f"every run {', '.join(f'{t:.2f}' for t in serially)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--runs", type=int, default=3, help="each measure, alternately")
    parser.add_argument("--verify", type=int, default=0, metavar="FILINGS",
                        help="time verify of a log of this many filings, without and with the "
                             "seq index, instead")
    args = parser.parse_args()
    if args.verify:
        verify_bench(args)
        return
    with tempfile.TemporaryDirectory() as workdir:
        engine, name = fresh(args.backend, Path(workdir))
        try:
            plain, grouped, one_each = [], [], []
            for _ in range(args.runs):
                plain.append(plain_insert(engine, args.entries))
                grouped.append(filing(engine, args.entries))
                one_each.append(singles(engine, args.entries))
        finally:
            engine.dispose()
            drop(name)
    best_plain, best_group, best_single = min(plain), min(grouped), min(one_each)
    print(f"{args.backend}, {args.entries:,} entries, best of {args.runs}")
    print(f"plain multi-row INSERT          {args.entries / best_plain:>10,.0f} rows/s  "
          f"({best_plain:.2f} s)")
    print(f"a filing's log (one entry)      {args.entries / best_group:>10,.0f} persons/s "
          f"({best_group:.3f} s, {best_group / best_plain:.2f}x the plain INSERT)")
    print(f"one entry a person (append_many) {args.entries / best_single:>9,.0f} entries/s "
          f"({best_single:.2f} s, {best_single / best_plain:.2f}x the plain INSERT)")
    print("every run, s: plain " + ", ".join(f"{t:.3f}" for t in plain) + "; filing "
          + ", ".join(f"{t:.3f}" for t in grouped) + "; one entry a person "
          + ", ".join(f"{t:.3f}" for t in one_each))
    canonical, encoder = hashing(args.entries)
    print(f"hash chain, CPU per entry: json.dumps {canonical / args.entries * 1e6:.1f} us, "
          f"the append's encoder {encoder / args.entries * 1e6:.1f} us")


if __name__ == "__main__":
    main()
