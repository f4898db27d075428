"""Appending to the access log: a filing's log and single entries, beside a plain multi-row
INSERT of as many rows.

A filing logs its workers while it holds the chain's head row, which every read of personal
data waits for: since migration 0022 as one group entry naming them (``audit.append_for``, what
``sibook declare`` and the API do), before it one entry each. Both are timed: the filing's log
of N persons, and N entries naming one person each (two officers' reads, alternately, which
never group), whose cost per entry is the log's cost for reads one by one.

Run: ``.venv/bin/python bench/bench_audit.py [--entries 50000] [--backend postgresql|sqlite]``.
Uses a throw-away migrated database (``scratch_db.py``), dropped afterwards.
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

from sibook.access import audit
from sibook.core.db import unit_of_work

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
        fields = {"seq": seq, "at": instant, "prev_hash": prev, **access.__dict__}
        prev = hashlib.sha256(audit._encoded(fields)).hexdigest()
    canonical, last = time.process_time() - start, prev
    encoded = audit._encoder(instant)
    start, prev = time.process_time(), "0" * 64
    for seq, access in enumerate(accesses, 1):
        prev = hashlib.sha256(encoded(access, seq, prev)).hexdigest()
    assert prev == last, "the encoder's bytes differ from the canonical JSON"
    return canonical, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--runs", type=int, default=3, help="each measure, alternately")
    args = parser.parse_args()
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
