"""From stored participation periods to the book's lines, with the per-fund amounts of the law.

A stored period already is one unchanged stretch (employer, job, basis); only the law can change
the amounts inside it. So a period is cut at the months where any law table changes (its
"epochs") and the dues are computed once per piece, not once per month: a 30-year history takes
tens of calculations, not hundreds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from sibook import law
from sibook.book.assemble import Arrear, Line, Shares, UISpan
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import compulsory_dues, voluntary_dues

ARREAR_STATUSES = ("unpaid", "partly_paid")


@dataclass(frozen=True)
class EmployerInfo:
    code: str
    name: str
    region: str


@dataclass(frozen=True)
class MonthStatus:
    """The ledger's view of an employer's month (contributions.statement)."""

    status: str  # paid | partly_paid | unpaid
    due: int
    paid: int


@cache
def law_epochs() -> tuple[Period, ...]:
    """Months where any law table starts or stops a row: the amounts are constant in between."""
    starts: set[Period] = set()
    for table in law.book().tables.values():
        for row in table.rows:
            starts.add(row.valid_from)
            if row.valid_to is not None:
                starts.add(row.valid_to + 1)
    return tuple(sorted(starts))


def pieces(start: Period, end: Period) -> Iterable[tuple[Period, Period]]:
    """``start..end`` cut at the law's epochs."""
    epochs = law_epochs()
    cursor = start
    i = bisect_right(epochs, cursor)
    while cursor <= end:
        stop = min(end, epochs[i] - 1) if i < len(epochs) else end
        yield cursor, stop
        cursor, i = stop + 1, i + 1


def lines_of(periods: Sequence[ParticipationRow], employers: Mapping[int, EmployerInfo],
             last: Period) -> list[Line]:
    """Book lines of the periods up to month ``last`` (later months are not in the book yet)."""
    out: list[Line] = []
    for p in periods:
        if p.from_month > last:
            continue
        end = min(p.to_month or last, last)
        employer = employers.get(p.employer_id) if p.employer_id is not None else None
        region = employer.region if employer else "I"
        for a, b in pieces(p.from_month, end):
            shares = _shares(a, p.salary_basis + p.allowances, region, p.occupational_rate_bp,
                             p.kind)
            out.append(Line(a, b, p.kind, employer.code if employer else None,
                            employer.name if employer else None, p.job_title, p.salary_basis,
                            p.allowances, shares[0] if shares else None,
                            shares[1] if shares else None,
                            ongoing=b == end and (p.to_month is None or p.to_month > last)))
    return out


def ui_spans(rows: Sequence[UIRow], employers: Mapping[int, EmployerInfo],
             last: Period) -> list[UISpan]:
    out = []
    for r in rows:
        if r.from_month > last:
            continue
        employer = employers.get(r.employer_id)
        end = min(r.to_month or last, last)
        out.append(UISpan(r.from_month, end, employer.code if employer else None, r.salary_basis,
                          ongoing=r.to_month is None or r.to_month > last))
    return out


def arrears_of(lines: Sequence[Line], employers: Mapping[int, EmployerInfo],
               statuses: Mapping[int, Mapping[int, MonthStatus]]) -> list[Arrear]:
    """Months of the person's compulsory lines that their employer has not paid in full."""
    by_code = {e.code: eid for eid, e in employers.items()}
    out = []
    for line in lines:
        eid = by_code.get(line.employer_code or "")
        if eid is None or line.kind == "voluntary":
            continue
        for index, st in statuses.get(eid, {}).items():
            if st.status in ARREAR_STATUSES and line.from_month.index <= index <= \
                    line.to_month.index:
                withheld = line.employee_share["total"] if line.employee_share else None
                out.append(Arrear(Period.from_index(index), line.employer_code, st.status,
                                  withheld, st.due, st.paid))
    return sorted(out, key=lambda a: a.month)


@lru_cache(maxsize=65_536)
def _shares(month: Period, basis: int, region: str, oa_bp: int, kind: str
            ) -> tuple[Shares, Shares] | None:
    """Employer's and worker's monthly amounts per fund, as the rules compute them; None when
    the law tables do not reach back to ``month`` or the basis is outside what the law allows."""
    try:
        if kind == "voluntary":
            result = voluntary_dues(month=month, salary=basis)
        else:
            result = compulsory_dues(month=month, salary=max(basis, 1), region=region,
                                     oa_rate="reduced" if oa_bp == 30 else "standard",
                                     kind="foreign" if kind == "foreign" else "compulsory",
                                     check_minimum=False)
    except ValidationError:  # NoRuleInForce is one
        return None
    return result.employer.as_dict(), result.employee.as_dict()
