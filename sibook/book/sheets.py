"""From stored participation periods to the book's lines (its sheets) and UI periods.

A period is cut at the law's epochs (``amounts.pieces``), where its units' salary regimes
change, and where the state's support to voluntary SI runs out; pieces whose amounts and marks
are the same stay one line.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sibook import law
from sibook.book.amounts import (
    Amounts,
    compulsory_amounts,
    pieces,
    support_limit_at,
    voluntary_amounts,
)
from sibook.book.assemble import Line, Shares, UISpan
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.core.period import Period


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


def lines_of(periods: Sequence[ParticipationRow], employers: Mapping[int, EmployerInfo],
             last: Period) -> list[Line]:
    """Book lines of the periods up to month ``last`` (later months are not in the book yet).
    Pieces of one period whose amounts the law left unchanged stay one line."""
    out: list[Line] = []
    month = Period.from_index
    last_index = last.index
    supported = 0  # months of the state's support to voluntary SI so far (the law caps them)
    for p in periods:
        first = p.from_month.index
        if first > last_index:
            continue
        end = last_index if p.to_month is None else min(p.to_month.index, last_index)
        employer = employers.get(p.employer_id) if p.employer_id is not None else None
        region = employer.region if employer else "I"
        code, name = (employer.code, employer.name) if employer else (None, None)
        ongoing = p.to_month is None or p.to_month.index > last_index
        basis = p.salary_basis + p.allowances
        runs: Sequence[tuple[int, int, Amounts | None, str | None]]
        if p.kind == "voluntary":
            runs, supported = _voluntary_runs(first, end, basis, p.support_group, supported)
        else:
            runs = [(a, b, shares, None) for a, b, shares in compulsory_amounts(
                first, end, basis, region, p.occupational_rate_bp, p.kind)]
        stretches = _stretches(runs, _scale_spans(employer, first, end, p.kind))
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


def _stretches(runs: Sequence[tuple[int, int, Amounts | None, str | None]],
               scale: tuple[tuple[int, int, bool], ...]
               ) -> list[tuple[int, int, Amounts | None, str | None, bool]]:
    """A period's runs of amounts and support cut where its unit's salary regime changes
    (``scale``: its spans over the whole period), then merged while amounts (by content: two
    runs' amounts may be equal), support and regime are all the same: its sheet lines."""
    out: list[tuple[int, int, Amounts | None, str | None, bool]] = []
    for a, b, shares, support in runs:
        # Most units never changed their regime: one span, nothing to cut.
        cut = ((a, b, scale[0][2]),) if len(scale) == 1 else _cut(scale, a, b)
        for c, d, state in cut:
            if out and out[-1][2:] == (shares, support, state):
                out[-1] = (out[-1][0], d, shares, support, state)
            else:
                out.append((c, d, shares, support, state))
    return out


def _cut(scale: tuple[tuple[int, int, bool], ...], a: int, b: int
         ) -> list[tuple[int, int, bool]]:
    """The spans of ``scale`` within months ``a..b``."""
    return [(max(a, c), min(b, d), state) for c, d, state in scale if c <= b and d >= a]


def _voluntary_runs(first: int, end: int, income: int, group: str | None, supported: int
                    ) -> tuple[list[tuple[int, int, Amounts | None, str | None]], int]:
    """Months ``first..end`` of a voluntary period cut at the law's epochs and where the
    state's support runs out, each with its amounts and support group, and the months of
    support counted after them (``supported`` before)."""
    runs = []
    for a0, b0, epoch in pieces(first, end):
        for a, b, support in _support_spans(a0, b0, epoch, group, supported):
            # Keyed by the epoch, not the month: people with the same income share one result.
            shares = voluntary_amounts(epoch, income, support)
            # Support is counted by the months paid for. Months that cannot be paid (an
            # income outside the law's range) take none; the others are paid oldest first,
            # so any unpaid ones are the latest and would be supported the same when paid.
            supported += b - a + 1 if support and shares else 0
            runs.append((a, b, shares, support))
    return runs, supported


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
    with a new period, not from a guess), up to the month before the worker left the employer
    when it said so during the leave (GH, ``left_from``: no longer employed, so no longer on
    its leave), never past ``last``. None before the law tables."""
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
    if p.left_from is not None:
        end = min(end, p.left_from - 1)
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


def _support_spans(a: int, b: int, epoch: int, group: str | None, used: int
                   ) -> tuple[tuple[int, int, str | None], ...]:
    """Months ``a..b`` of a voluntary period with the support group that applies to each: the
    group until the months of support the law allows run out (``used`` before ``a``), then
    none. One span, or two where the support ends inside."""
    left = max(0, support_limit_at(epoch) - used) if group else 0
    if left >= b - a + 1:
        return ((a, b, group),)
    if left == 0:
        return ((a, b, None),)
    return (a, a + left - 1, group), (a + left, b, None)
