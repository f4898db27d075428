"""From stored participation periods to the book's lines, with the per-fund amounts of the law.

A stored period already is one unchanged stretch (employer, job, basis); only the law can change
the amounts inside it. So a period is cut at the months where any law table changes (its
"epochs") and the dues are computed once per piece, not once per month: a 30-year history takes
tens of calculations, not hundreds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from typing import Any

from sibook import law
from sibook.benefits.domain import Benefit
from sibook.book.assemble import (
    Arrear,
    BookInputs,
    Header,
    HISpan,
    Line,
    OwedMonth,
    Shares,
    UISpan,
    VoluntaryPaid,
    assemble,
)
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.contributions.voluntary import Account, Charge, Payment, allocate
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import Fund
from sibook.rules import voluntary_dues
from sibook.rules.contribution import capped, compulsory_terms, shares_under
from sibook.rules.inputs import check_money

ARREAR_STATUSES = ("unpaid", "partly_paid")


@dataclass(frozen=True)
class EmployerInfo:
    code: str
    name: str
    region: str
    state_scale: bool = False  # registered paying by the state's salary scale (salary_regime)
    # Its regime's changes (``registry.regimes``): (Period.index from, state scale), ascending.
    regime_changes: tuple[tuple[int, bool], ...] = ()

    def scale_spans(self, first: int, last: int) -> tuple[tuple[int, int, bool], ...]:
        """Months ``first..last`` (``Period.index``) cut where the unit's regime changes, each
        span with whether the state's salary scale paid it."""
        if not self.regime_changes:  # most units: one span, nothing looked up
            return ((first, last, self.state_scale),)
        at = bisect_right([m for m, _ in self.regime_changes], first) - 1
        state = self.state_scale if at < 0 else self.regime_changes[at][1]
        spans = []
        for start, changed in self.regime_changes[at + 1:]:
            if start > last:
                break
            spans.append((first, start - 1, state))
            first, state = start, changed
        spans.append((first, last, state))
        return tuple(spans)


def _scale_spans(employer: EmployerInfo | None, first: int, last: int, kind: str
                 ) -> tuple[tuple[int, int, bool], ...]:
    """``EmployerInfo.scale_spans``; one span off the state's scale without a unit, or for
    voluntary months (the participant's own income)."""
    if employer is None or kind == "voluntary":
        return ((first, last, False),)
    return employer.scale_spans(first, last)


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


@cache
def _epoch_indices() -> tuple[int, ...]:
    return tuple(e.index for e in law_epochs())


def pieces(start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """Months ``start..end`` (``Period.index`` numbers) cut at the law's epochs, each piece with
    the first month of its epoch: every law lookup, hence every amount, is the same for both.
    Before the first epoch no table has a row, so such a piece answers the month before it
    (one refusal cached, not one per month). Integers, not Periods: a long career is cut into
    tens of pieces and compared hundreds of times."""
    epochs = _epoch_indices()
    i = bisect_right(epochs, start)
    epoch = epochs[i - 1] if i else epochs[0] - 1
    cursor = start
    while cursor <= end:
        stop = min(end, epochs[i] - 1) if i < len(epochs) else end
        yield cursor, stop, epoch
        cursor = epoch = stop + 1
        i += 1


def lines_of(periods: Sequence[ParticipationRow], employers: Mapping[int, EmployerInfo],
             last: Period) -> list[Line]:
    """Book lines of the periods up to month ``last`` (later months are not in the book yet).
    Pieces of one period whose amounts the law left unchanged stay one line."""
    out: list[Line] = []
    month = Period.from_index
    supported = 0  # months of the state's support to voluntary SI so far (the law caps them)
    for p in periods:
        if p.from_month > last:
            continue
        end = min(p.to_month or last, last).index
        employer = employers.get(p.employer_id) if p.employer_id is not None else None
        region = employer.region if employer else "I"
        code, name = (employer.code, employer.name) if employer else (None, None)
        ongoing = p.to_month is None or p.to_month > last
        basis = p.salary_basis + p.allowances
        # [from, to, shares, support, state scale], merged while all are equal
        stretches: list[list[Any]] = []
        for first, final, epoch in pieces(p.from_month.index, end):
            spans = (_support_spans(first, final, epoch, p.support_group, supported)
                     if p.kind == "voluntary" else ((first, final, None),))
            for a, b, support in spans:
                # Keyed by the epoch, not the month: people with the same basis share one result.
                shares = _shares(epoch, basis, region, p.occupational_rate_bp, p.kind, support)
                # Support is counted by the months paid for. Months that cannot be paid (an
                # income outside the law's range) take none; the others are paid oldest first,
                # so any unpaid ones are the latest and would be supported the same when paid.
                supported += b - a + 1 if support and shares else 0
                for c, d, state in _scale_spans(employer, a, b, p.kind):
                    if stretches and stretches[-1][2:] == [shares, support, state]:
                        stretches[-1][1] = d
                    else:
                        stretches.append([c, d, shares, support, state])
        voluntary = p.kind == "voluntary"  # no employer: its share is none, not zero
        for a, b, shares, support, state in stretches:
            out.append(Line(month(a), month(b), p.kind, code, name, p.job_title, p.salary_basis,
                            p.allowances, shares[0] if shares and not voluntary else None,
                            shares[1] if shares else None, ongoing=ongoing and b == end,
                            support=support, state_scale=state))
        leave = _maternity_leave(p, periods, last)
        if leave is not None:
            out.extend(Line(month(a), month(b), MATERNITY, code, name, p.job_title,
                            p.salary_basis, p.allowances, NOTHING_DUE, NOTHING_DUE,
                            state_scale=state)
                       for a, b, state in _scale_spans(employer, leave[0].index,
                                                       leave[1].index, MATERNITY))
    return out


def supported_months(lines: Sequence[Line]) -> int:
    """Months of the state's support to voluntary SI that ``lines`` hold: the months the law
    caps (Decree 159/2025), counted as ``lines_of`` counts them while it cuts the support off."""
    return sum(ln.to_month - ln.from_month + 1 for ln in lines
               if ln.kind == "voluntary" and ln.support and ln.employee_share is not None)


MATERNITY = "maternity"  # a sheet row's kind: months of maternity leave, counted, nothing due
NOTHING_DUE: Shares = dict.fromkeys((*law.FUNDS, "total"), 0)


def _maternity_leave(p: ParticipationRow, periods: Sequence[ParticipationRow], last: Period
                     ) -> tuple[Period, Period] | None:
    """The months after a period its employer ended for maternity leave (TS) that count as
    contributed, with no contribution due (FACTS §4.4: the employer declares TS from the
    first month with 14 working days of leave or more): up to the month before the person's
    next period, at most the law's birth leave (6 months; a multiple birth's extra months come
    with a new period, not from a guess), never past ``last``. None before the law tables."""
    if p.closed_by != "TS" or p.to_month is None or p.to_month >= last:
        return None
    first = p.to_month + 1
    try:
        most = int(law.parameter("maternity_leave_months", first).value)
    except law.NoRuleInForce:
        return None
    end = min(first + (most - 1), last)
    back = min((q.from_month for q in periods if q.from_month > p.to_month), default=None)
    if back is not None:
        end = min(end, back - 1)
    return (first, end) if end >= first else None


def ui_spans(rows: Sequence[UIRow], employers: Mapping[int, EmployerInfo],
             last: Period) -> list[UISpan]:
    """UI periods up to ``last``; consecutive ones with the same employer and basis are one
    (a salary adjustment that changed nothing for UI splits the stored rows, not the book)."""
    out: list[UISpan] = []
    for r in rows:
        if r.from_month > last:
            continue
        employer = employers.get(r.employer_id)
        span = UISpan(r.from_month, min(r.to_month or last, last),
                      employer.code if employer else None, r.salary_basis,
                      ongoing=r.to_month is None or r.to_month > last)
        prev = out[-1] if out else None
        if prev and not prev.ongoing and prev.to_month + 1 == span.from_month and \
                (prev.employer_code, prev.salary_basis) == (span.employer_code,
                                                            span.salary_basis):
            out[-1] = replace(prev, to_month=span.to_month, ongoing=span.ongoing)
        else:
            out.append(span)
    return out


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


def voluntary_account_of(lines: Sequence[Line], payments: Sequence[Payment], as_of: date, *,
                         priced_only: bool = False) -> Account:
    """What ``payments`` made by ``as_of`` pay of the voluntary months of ``lines``;
    ``priced_only`` leaves out the months before the law tables (they take no money and stand
    as recorded), which the book does not list: most of a long career's months."""
    return allocate(charges_of(lines, priced_only=priced_only), payments, as_of,
                    price_at=advance_price)


def advance_price(charge: Charge, paid_in: Period) -> int | None:
    """What a month costs when paid ahead, in month ``paid_in``: the rules in force then (FACTS
    §3.4, Law 41/2024 Art 36: a change of the poverty line, the reference level or the support
    after a prepayment brings no top-up and no refund); a month paid in or after its own time
    costs its own price."""
    if paid_in >= charge.month:
        return charge.due
    shares = _voluntary_shares(paid_in.index, charge.basis, charge.support)
    return shares[1]["total"] if shares else charge.due


def charges_of(lines: Sequence[Line], *, priced_only: bool = False) -> list[Charge]:
    """Each month of the voluntary lines with what the participant pays for it: the line's
    share, the state's support already taken off within the months the law allows."""
    out: list[Charge] = []
    for line in lines:
        if line.kind != "voluntary":
            continue
        if priced_only and line.employee_share is None and \
                not _voluntary_rules_at(line.to_month.index):  # lines are cut at 2020-01
            continue
        for index in range(line.from_month.index, line.to_month.index + 1):
            before = line.employee_share is None and not _voluntary_rules_at(index)
            out.append(Charge(Period.from_index(index), line.salary_basis, line.employee_share,
                              before_rules=before, support=line.support))
    return out


def employer_ids(p: PersonInputs) -> set[int]:
    """Employers of the person's SI and UI periods."""
    ids = {r.employer_id for r in p.periods if r.employer_id is not None}
    return ids | {u.employer_id for u in p.ui_rows}


def _support_spans(a: int, b: int, epoch: int, group: str | None, used: int
                   ) -> tuple[tuple[int, int, str | None], ...]:
    """Months ``a..b`` of a voluntary period with the support group that applies to each: the
    group until the months of support the law allows run out (``used`` before ``a``), then
    none. One span, or two where the support ends inside."""
    left = max(0, _support_limit(epoch) - used) if group else 0
    if left >= b - a + 1:
        return ((a, b, group),)
    if left == 0:
        return ((a, b, None),)
    return (a, a + left - 1, group), (a + left, b, None)


@cache
def _voluntary_rules_at(index: int) -> bool:
    """Whether the law tables hold voluntary SI's rate and income floor for the month."""
    month = Period.from_index(index)
    try:
        law.fund_rates("voluntary", month)
        law.parameter("rural_poverty_line", month)
    except ValidationError:  # NoRuleInForce
        return False
    return True


@cache
def _support_limit(index: int) -> int:
    """Months of state support to voluntary SI the law allows (0 before the tables)."""
    try:
        return int(law.parameter("voluntary_support_months", Period.from_index(index)).value)
    except ValidationError:  # NoRuleInForce: no amounts are shown then either
        return 0


def _shares(index: int, basis: int, region: str, oa_bp: int, kind: str,
            support: str | None = None) -> tuple[Shares, Shares] | None:
    """Employer's and worker's monthly amounts per fund, as the rules compute them; None when
    the law tables do not reach back to the month or the basis is outside what the law allows."""
    try:
        check_money(basis, "salary")
        if kind == "voluntary":
            return _voluntary_shares(index, basis, support)
    except ValidationError:
        return None
    terms = _terms_at(index, region, oa_bp, kind)
    if terms is None:
        return None
    si_cap, ui_cap, rates = terms
    # The amounts depend on the rates and the capped bases only: keyed so, most of a career's
    # pieces (each epoch's caps differ; the rates seldom do) share one computation.
    return _shares_under(rates, capped(basis, si_cap), capped(basis, ui_cap))


@lru_cache(maxsize=65_536)
def _shares_under(rates: int, si_basis: int, ui_basis: int) -> tuple[Shares, Shares]:
    return shares_under(*_RATES[rates], si_basis, ui_basis)


# The distinct (denominator, rates) of the law, numbered: cache keys stay three small ints.
_RATES: list[tuple[int, tuple[tuple[Fund, int, int], ...]]] = []


@cache
def _terms_at(index: int, region: str, oa_bp: int, kind: str
              ) -> tuple[int | None, int | None, int] | None:
    """SI/HI cap, UI cap (None: uncapped) and the number of the rates in force in a month, or
    None before the tables begin (asked once per epoch: a refusal builds an exception with its
    reasons)."""
    try:
        si_cap, ui_cap, denominator, rates = compulsory_terms(
            Period.from_index(index), region, "reduced" if oa_bp == 30 else "standard",
            "foreign" if kind == "foreign" else "compulsory")
    except ValidationError:  # NoRuleInForce is one
        return None
    if (denominator, rates) not in _RATES:
        _RATES.append((denominator, rates))
    return si_cap, ui_cap, _RATES.index((denominator, rates))


@lru_cache(maxsize=16_384)
def _voluntary_shares(index: int, income: int, support: str | None
                      ) -> tuple[Shares, Shares] | None:
    """What the participant pays (the state's support taken off) and the employer's nothing."""
    try:
        result = voluntary_dues(month=Period.from_index(index), salary=income, support=support)
    except ValidationError:  # before the tables, or an income outside the law's range
        return None
    return result.employer.as_dict(), result.employee.as_dict()
