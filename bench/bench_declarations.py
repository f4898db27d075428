"""Declaration benchmark: lines/s end to end (parse, validate, compute, write) on PostgreSQL,
beside a raw COPY of the same rows into a table as wide as the declaration, in the same run.

It builds its own synthetic data: N registered workers whose last period (and HI card) ended in
2025-12 and employers in region I, then files TM (new increase) declarations for them from
2026-01: each line opens an SI and a UI period and issues a new HI card.

  python bench/bench_declarations.py --workers 100000                 # one big filing
  python bench/bench_declarations.py --workers 1000000 --employers 50  # a share of a national month
  python bench/bench_declarations.py --workers 1000000 --employers 50 --jobs 2  # two at once
  python bench/bench_declarations.py --workers 100000 --access-log  # with the CLI's access log
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from scratch_db import drop, fresh  # bench/scratch_db.py (scripts run from bench/)
from sqlalchemy import Engine, text

from sibook.access.actions import Action
from sibook.cli.context import logged
from sibook.contributions import staging
from sibook.contributions.declare import declare
from sibook.core.bulk import write
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.ids import make_enterprise_code, make_personal_id

MONTH = Period(2026, 1)
COLUMNS = "personal_id,full_name,case_code,job_title,salary,allowances,from_month"


def personal_id(n: int) -> str:
    year = 1970 + n % 35
    return make_personal_id("001", date(year, 1, 1), "male" if n % 2 else "female",
                            n // 70 % 1_000_000)


def populate(engine: Engine, workers: int, employers: int) -> list[str]:
    codes = [make_enterprise_code(i, "01") for i in range(employers)]
    with engine.begin() as conn:
        write(conn, "employers", ("employer_id", "code", "name", "province_code", "region",
                                  "occupational_rate_bp"),
              [(i + 1, c, f"Công ty {i}", "01", "I", 50) for i, c in enumerate(codes)])
        for start in range(0, workers, 100_000):
            ids = range(start, min(workers, start + 100_000))
            write(conn, "persons", ("person_id", "personal_id", "full_name", "birth_date", "sex",
                                    "ethnicity", "nationality", "birth_registration_place",
                                    "realm"),
                  [(n + 1, personal_id(n), f"Nguyễn Văn {n}", date(1970 + n % 35, 1, 1),
                    "male" if n % 2 else "female", "Kinh", "VN", "001", "civil") for n in ids])
            write(conn, "si_books", ("person_id", "book_number", "status", "version"),
                  [(n + 1, personal_id(n), "active", 1) for n in ids])
            # Everyone has a past: a closed period elsewhere (2020-01..2025-12), as in a live
            # national database, so lookups and plans meet a full periods table.
            write(conn, "si_periods", ("person_id", "seq", "from_month", "to_month", "kind",
                                       "employer_id", "salary_basis", "allowances",
                                       "occupational_rate_bp"),
                  [(n + 1, 1, 2020 * 12, 2025 * 12 + 11, "compulsory", 1, 5_000_000, 0, 50)
                   for n in ids])
            # ... and the HI card of that job, which ended with 2025: a TM from 2026-01 issues
            # a new one, after probing the card table as on a live database.
            write(conn, "hi_cards", ("person_id", "seq", "card_number", "group_code",
                                     "benefit_level", "province_code", "initial_kcb_place",
                                     "valid_from", "valid_to"),
                  [(n + 1, 1, f"DN401{personal_id(n)[2:]}", "DN", 4, "01", "01001",
                    date(2020, 1, 1), date(2025, 12, 31)) for n in ids])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would have, on a live database
    return codes


def csv_for(first: int, count: int) -> bytes:
    """An employer's list in no particular order: neither by personal ID nor by registration
    (the order of person_id), as a real file comes."""
    out = io.StringIO()
    out.write(COLUMNS + "\n")
    for n in random.Random(first).sample(range(first, first + count), count):
        out.write(f"{personal_id(n)},Nguyễn Văn {n},TM,Công nhân,{6_000_000 + n % 9_000_000},"
                  f"{n % 3 * 100_000},2026-01\n")
    return out.getvalue().encode()


def raw_copy(engine: Engine, data: bytes) -> float:
    """Seconds to COPY the same CSV into an unindexed table of the declaration's width."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE raw_lines (personal_id varchar(12), "
                          "full_name varchar(120), case_code varchar(2), job_title varchar(120), "
                          "salary bigint, allowances bigint, from_month varchar(7)) "
                          "ON COMMIT DROP"))
        raw = conn.connection.driver_connection
        start = time.perf_counter()
        with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                "COPY raw_lines FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(data)
        return time.perf_counter() - start


def in_parallel(jobs: int, work: list[Callable[[], object]]) -> float:
    """Seconds to run ``work`` on ``jobs`` threads (each item opens its own connection); the
    threads wait on PostgreSQL most of the time, so they overlap as separate clients would."""
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        for done in [pool.submit(w) for w in work]:
            done.result()
    return time.perf_counter() - start


def file_one(engine: Engine, code: str, data: bytes, access_log: bool) -> None:
    with unit_of_work(engine) as session:
        result = declare(session=session, data=data, file_name="d02.csv", employer_code=code,
                         month=MONTH)
        if access_log and not result["replayed"]:  # what `sibook declare` adds, in its transaction
            logged(session, Action.CONTRIBUTION_DECLARE, "declare",
                   staging.person_ids(session.connection()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--employers", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1,
                        help="filings at once (the raw COPY baseline runs as many at once)")
    parser.add_argument("--access-log", action="store_true",
                        help="also log each worker's access in the filing's transaction, as "
                             "`sibook declare` and the API do (off: the rows before 2026-11-28)")
    args = parser.parse_args()
    engine, name = fresh("postgresql")
    try:
        codes = populate(engine, args.workers, args.employers)
        per = args.workers // args.employers
        files = [csv_for(i * per, per) for i in range(args.employers)]
        # The baseline's median of three runs: one COPY of 100,000 rows lasts ~0.1 s, and a
        # single run swings by half on this shared machine.
        raw_seconds = sorted(
            in_parallel(args.jobs, [lambda f=f: raw_copy(engine, f) for f in files])
            for _ in range(3))[1]
        seconds = in_parallel(args.jobs, [lambda c=c, f=f: file_one(engine, c, f, args.access_log)
                                          for c, f in zip(codes, files, strict=True)])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        engine.dispose()
        drop(name)
    lines = per * args.employers
    print(f"lines              {lines:,} in {args.employers} declaration(s), {args.jobs} at once")
    print(f"end to end         {seconds:,.1f} s  {lines / seconds:,.0f} lines/s")
    print(f"raw COPY baseline  {raw_seconds:,.2f} s  {lines / raw_seconds:,.0f} rows/s")
    print(f"declare / COPY     {raw_seconds / seconds:.1%}")
    print(f"peak RSS           {peak:,.0f} MB")


if __name__ == "__main__":
    main()
