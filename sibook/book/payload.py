"""A person's book payload from the facts read for them: pure, shared by the single and the
batch path (``service.assemble_person``, ``batch``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sibook.benefits.domain import Benefit
from sibook.book.arrears import MonthStatus, arrears_of
from sibook.book.assemble import (
    BookInputs,
    Header,
    HISpan,
    Line,
    OwedMonth,
    VoluntaryPaid,
    assemble,
    calendar_months,
)
from sibook.book.sheets import EmployerInfo, lines_of, ui_spans
from sibook.book.voluntary_charges import voluntary_account_of
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.contributions.voluntary import Payment
from sibook.core.period import Period


@dataclass(frozen=True)
class PersonInputs:
    """What the book of one person is made of, as read from the database."""

    header: Header
    periods: Sequence[ParticipationRow]
    ui_rows: Sequence[UIRow]
    cards: Sequence[HISpan]
    ui_reserved_months: int
    voluntary_payments: Sequence[Payment] = ()
    benefits: Sequence[Benefit] = ()


def payload_of(p: PersonInputs, employers: Mapping[int, EmployerInfo],
            statuses: Mapping[int, Mapping[int, MonthStatus]], as_of: date) -> dict[str, Any]:
    """The book's payload from its facts: pure, shared by the single and the batch path."""
    last = Period.of(as_of)
    lines = lines_of(p.periods, employers, last)
    mine = {eid: statuses.get(eid, {}) for eid in employer_ids(p)}
    return assemble(BookInputs(
        header=p.header, lines=lines, ui=ui_spans(p.ui_rows, employers, last),
        hi=[c for c in p.cards if c.valid_from <= as_of],  # a card not yet begun is no fact yet
        arrears=arrears_of(lines, employers, mine), ui_reserved_months=p.ui_reserved_months,
        benefits=benefits_known_on(p.benefits, as_of),
        voluntary=voluntary_paid(p, lines, as_of)))


def ui_months_paid(periods: Sequence[ParticipationRow], ui_rows: Sequence[UIRow],
                   employers: Mapping[int, EmployerInfo],
                   statuses: Mapping[int, Mapping[int, MonthStatus]], as_of: date) -> int:
    """The months of ``ui_rows`` paid by ``as_of``, as the book's totals count them (a month
    its employer owes counts once paid), whether or not a benefit has used them since."""
    last = Period.of(as_of)
    lines = lines_of(periods, employers, last)
    unpaid = {(a.employer_code, a.month) for a in arrears_of(lines, employers, statuses)}
    return calendar_months(ui_spans(ui_rows, employers, last), unpaid)


@dataclass(frozen=True)
class MonthsPaid:
    """Months of SI paid in a stretch, and those of it an employer declared but owes."""

    months: int
    owed: tuple[tuple[str | None, Period], ...]  # (the employer's code, the month)


def si_months_paid(p: PersonInputs, employers: Mapping[int, EmployerInfo],
                   statuses: Mapping[int, Mapping[int, MonthStatus]], as_of: date,
                   first: Period, last: Period, kinds: Collection[str]) -> MonthsPaid:
    """The months from ``first`` to ``last`` of the person's sheet rows of ``kinds`` paid by
    ``as_of``, as the book's totals count them (a month its employer owes counts once paid, a
    voluntary month once the participant has paid it in full), whether or not a benefit has
    paid them out since."""
    lines = lines_of(p.periods, employers, Period.of(as_of))
    owing = [a for a in arrears_of(lines, employers, statuses) if first <= a.month <= last]
    voluntary = voluntary_paid(p, lines, as_of)
    spans = [replace(ln, from_month=max(first, ln.from_month), to_month=min(last, ln.to_month))
             for ln in lines
             if ln.kind in kinds and ln.from_month <= last and ln.to_month >= first]
    paid = calendar_months(spans, {(a.employer_code, a.month) for a in owing},
                           voluntary.owed if voluntary else ())
    return MonthsPaid(paid, tuple((a.employer_code, a.month) for a in owing
                                  if any(s.employer_code == a.employer_code for s in spans)))


def benefits_known_on(benefits: Sequence[Benefit], as_of: date) -> list[Benefit]:
    """The claims received by ``as_of``, each with its decision if taken by then."""
    return [b if b.decision is None or b.decision.decided_on <= as_of else replace(b, decision=None)
            for b in benefits if b.claim.received_on <= as_of]


def voluntary_paid(p: PersonInputs, lines: Sequence[Line], as_of: date) -> VoluntaryPaid | None:
    """What the person's voluntary payments made by ``as_of`` pay of their voluntary lines;
    None for someone who never was a voluntary participant."""
    if not p.voluntary_payments and all(r.kind != "voluntary" for r in p.periods):
        return None
    account = voluntary_account_of(lines, p.voluntary_payments, as_of, priced_only=True)
    return VoluntaryPaid([(x.paid_on, x.reference, x.amount) for x in account.payments],
                         [OwedMonth(m.month, m.status, m.due, m.paid) for m in account.unpaid()],
                         account.credit)


def employer_ids(p: PersonInputs) -> set[int]:
    """Employers of the person's SI and UI periods."""
    ids = {r.employer_id for r in p.periods if r.employer_id is not None}
    return ids | {u.employer_id for u in p.ui_rows}
