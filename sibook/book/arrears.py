"""The months of a person's book that their employer has not paid in full (the ledger's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sibook.book.assemble import Arrear, Line
from sibook.book.sheets import MATERNITY, EmployerInfo
from sibook.core.period import Period

ARREAR_STATUSES = ("unpaid", "partly_paid")


@dataclass(frozen=True)
class MonthStatus:
    """The ledger's view of an employer's month (contributions.statement)."""

    status: str  # paid | partly_paid | unpaid
    due: int
    paid: int


def arrears_of(lines: Sequence[Line], employers: Mapping[int, EmployerInfo],
               statuses: Mapping[int, Mapping[int, MonthStatus]]) -> list[Arrear]:
    """Months of the person's compulsory lines that their employer has not paid in full
    (``statuses`` holds the person's own employers: the reverse map stays that small)."""
    by_code = {employers[eid].code: eid for eid in statuses if eid in employers}
    out = []
    for line in lines:
        eid = by_code.get(line.employer_code or "")
        if eid is None or line.kind in ("voluntary", MATERNITY):  # nothing the employer owes
            continue
        for index, st in statuses.get(eid, {}).items():
            if st.status in ARREAR_STATUSES and line.from_month.index <= index <= \
                    line.to_month.index:
                withheld = line.employee_share["total"] if line.employee_share else None
                out.append(Arrear(Period.from_index(index), line.employer_code, st.status,
                                  withheld, st.due, st.paid))
    return sorted(out, key=lambda a: a.month)
