"""The bulk read path gives the same rows as SQLAlchemy, as plain tuples, on both backends."""

from __future__ import annotations

from sqlalchemy import Engine, select

from sibook.contributions.store import SIPeriod
from sibook.core.bulk import fetch, write


def test_fetch_returns_the_rows_sqlalchemy_returns(engine: Engine) -> None:
    rows = [(person, seq, 24_000 + seq, None if seq == 3 else 24_000 + seq, "compulsory",
             7, "Kỹ sư" if seq % 2 else None, 5_000_000 + seq, 0, 50)
            for person in range(1, 40) for seq in range(1, 4)]
    t = SIPeriod.__table__.c
    query = (select(t.person_id, t.seq, t.to_month, t.job_title)
             .where(t.person_id.in_([2, 3, 5, 8, 13, 21, 34, 99]), t.seq >= 2)
             .order_by(t.person_id, t.seq))
    with engine.begin() as conn:
        write(conn, "si_periods", ("person_id", "seq", "from_month", "to_month", "kind",
                                   "employer_id", "job_title", "salary_basis", "allowances",
                                   "occupational_rate_bp"), rows)
        got = fetch(conn, query)
        expected = [tuple(r) for r in conn.execute(query)]
    assert got == expected and len(got) == 14
    assert all(type(r) is tuple for r in got)
