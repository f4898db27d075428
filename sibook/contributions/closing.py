"""The monthly assessment: every month of an open period falls due, whether the employer filed
anything for it or not.

A filing assesses the months up to the one it declares; an employer that stops filing would
otherwise owe nothing for the months since, and never turn late or into evasion (FACTS §3.5,
§3.7: the dues of a month fall due on its deadline whatever was declared). The agency runs
``sibook ledger assess`` once a month (and may run it any time: it posts only what is missing):
for each employer, the months from the one after its last assessed month up to ``through`` are
assessed from its periods, posted, and its unallocated money applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from sibook.contributions import ledger
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry.store import Employer

Progress = Callable[[int, int], None]  # employers done, employers in all

# Per employer with periods: its last assessed month, where its ledger began, and the span its
# periods cover.
_SPANS = """
SELECT s.employer_id, MAX(l.last) AS last, MAX(b.period) AS began, MIN(s.from_month) AS first,
       MAX(COALESCE(s.to_month, :through)) AS until
FROM si_periods s
LEFT JOIN (SELECT employer_id, MAX(period) AS last FROM ledger_entries {only}
           GROUP BY employer_id) l
       ON l.employer_id = s.employer_id
LEFT JOIN ledger_starts b ON b.employer_id = s.employer_id
WHERE s.employer_id IS NOT NULL AND s.from_month <= :through {also}
GROUP BY s.employer_id
"""
BATCH = 200  # employers a transaction: their locks are held only that long


@dataclass(frozen=True)
class Assessed:
    through: Period
    employers: int  # employers that had months to assess
    months: int  # employer-months assessed
    entries: int  # ledger entries posted
    dues: int  # their total, VND

    def as_dict(self) -> dict[str, object]:
        return {"through": str(self.through), "employers": self.employers,
                "months": self.months, "entries": self.entries, "dues": self.dues}


def unassessed(conn: Connection, through: Period, employer_ids: list[int] | None = None,
               ) -> dict[int, Period]:
    """Employer id -> the first month it owes that is not yet assessed (up to ``through``);
    ``employer_ids``: of those employers only (a batch re-read under its locks)."""
    params: dict[str, object] = {"through": through.index}
    stmt = text(_SPANS.format(only="", also=""))
    if employer_ids is not None:
        params["ids"] = employer_ids
        stmt = text(_SPANS.format(only="WHERE employer_id IN :ids",
                                  also="AND s.employer_id IN :ids")
                    ).bindparams(bindparam("ids", expanding=True))
    found: dict[int, Period] = {}
    for employer_id, last, began, first, until in conn.execute(stmt, params):
        if last is None:  # never assessed: from its first period, not before the ledger's
            start = max(first, ledger.LEDGER_BEGINS.index)
        else:  # on from its last month, never into those carried over (``ledger.began``): a
            # filing that reaches one posts its change alone, the rest was settled outside it
            whole_from = ledger.LEDGER_BEGINS.index if began is None else began
            start = max(last + 1, min(whole_from, ledger.LEDGER_BEGINS.index))
        if start <= min(until, through.index):
            found[int(employer_id)] = Period.from_index(int(start))
    return found


def assess_through(session_for: Callable[[], AbstractContextManager[Session]], through: Period,
                   progress: Progress | None = None) -> Assessed:
    """Assess every employer's months up to ``through``, ``BATCH`` employers a transaction
    (``session_for`` opens one; the caller's unit of work commits it). Each employer is
    locked as a filing locks it, and what it owes is read again under the lock, so a filing
    made meanwhile is neither missed nor counted twice."""
    if through > Period.of(date.today()) + 1:
        # The ledger is append-only: dues posted for months years ahead would take the
        # employers' credit and could only be reversed. A filing reaches next month at most.
        raise ValidationError(field="through", reason=f"{through} is more than a month ahead of "
                              "today; the assessment reaches next month at most")
    with session_for() as session:
        todo = sorted(unassessed(session.connection(), through))
    months = entries = dues = 0
    for at in range(0, len(todo), BATCH):
        with session_for() as session:
            ids = todo[at:at + BATCH]
            session.execute(select(Employer.employer_id).where(Employer.employer_id.in_(ids))
                            .order_by(Employer.employer_id).with_for_update())
            conn = session.connection()
            firsts = unassessed(conn, through, ids)
            by_first: dict[Period, list[int]] = defaultdict(list)
            for employer_id in ids:
                if employer_id in firsts:
                    by_first[firsts[employer_id]].append(employer_id)
            for first, group in sorted(by_first.items()):
                span = list(ledger.months_to_assess(first, through))
                posted = ledger.assess(conn, span, group)
                ledger.post(conn, posted, None)
                months += len(span) * len(group)
                entries += len(posted)
                dues += sum(e["total"] for e in posted)
            for employer_id in sorted({e for group in by_first.values() for e in group}):
                ledger.allocate(conn, employer_id)
        if progress is not None:
            progress(min(at + BATCH, len(todo)), len(todo))
    return Assessed(through, len(todo), months, entries, dues)
