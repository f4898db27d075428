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
from datetime import date
from functools import cache, lru_cache
from typing import Any

from sibook import law
from sibook.book.assemble import (
    Arrear,
    BookInputs,
    Header,
    HISpan,
    Line,
    Shares,
    UISpan,
    assemble,
)
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import voluntary_dues
from sibook.rules.contribution import compulsory_shares

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


def epoch_start(month: Period) -> Period:
    """The first month of the law epoch holding ``month``: every law lookup, hence every
    amount, is the same for both (``month`` itself before the first epoch)."""
    epochs = law_epochs()
    i = bisect_right(epochs, month)
    return epochs[i - 1] if i else month


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
            # Keyed by the epoch, not the month: people with the same basis share one result.
            shares = _shares(epoch_start(a), p.salary_basis + p.allowances, region,
                             p.occupational_rate_bp, p.kind)
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


@dataclass(frozen=True)
class PersonInputs:
    """What the book of one person is made of, as read from the database."""

    header: Header
    periods: Sequence[ParticipationRow]
    ui_rows: Sequence[UIRow]
    cards: Sequence[HISpan]
    ui_reserved_months: int


def payload_of(p: PersonInputs, employers: Mapping[int, EmployerInfo],
            statuses: Mapping[int, Mapping[int, MonthStatus]], as_of: date) -> dict[str, Any]:
    """The book's payload from its facts: pure, shared by the single and the batch path."""
    last = Period.of(as_of)
    lines = lines_of(p.periods, employers, last)
    mine = {eid: statuses.get(eid, {}) for eid in employer_ids(p)}
    return assemble(BookInputs(
        header=p.header, lines=lines, ui=ui_spans(p.ui_rows, employers, last), hi=p.cards,
        arrears=arrears_of(lines, employers, mine), ui_reserved_months=p.ui_reserved_months))


def employer_ids(p: PersonInputs) -> set[int]:
    """Employers of the person's SI and UI periods."""
    ids = {r.employer_id for r in p.periods if r.employer_id is not None}
    return ids | {u.employer_id for u in p.ui_rows}


@lru_cache(maxsize=65_536)
def _shares(month: Period, basis: int, region: str, oa_bp: int, kind: str
            ) -> tuple[Shares, Shares] | None:
    """Employer's and worker's monthly amounts per fund, as the rules compute them; None when
    the law tables do not reach back to ``month`` or the basis is outside what the law allows."""
    try:
        if kind == "voluntary":
            result = voluntary_dues(month=month, salary=basis)
            return result.employer.as_dict(), result.employee.as_dict()
        return compulsory_shares(month, max(basis, 1), region,
                                 "reduced" if oa_bp == 30 else "standard",
                                 "foreign" if kind == "foreign" else "compulsory")
    except ValidationError:  # NoRuleInForce is one
        return None
