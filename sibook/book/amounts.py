"""The per-fund amounts the law sets for a stretch of months, computed once a stretch.

A stored period already is one unchanged stretch (employer, job, basis); only the law can change
the amounts inside it. So a period is cut at the months where any law table changes (its
"epochs") and the dues are computed once per piece, not once per month: a 30-year history takes
tens of calculations, not hundreds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from functools import cache, lru_cache

from sibook import law
from sibook.book.assemble import Shares
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import Fund
from sibook.rules import voluntary_dues
from sibook.rules.contribution import capped, compulsory_terms, shares_under
from sibook.rules.inputs import check_money


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


@cache
def voluntary_rules_at(index: int) -> bool:
    """Whether the law tables hold voluntary SI's rate and income floor for the month."""
    month = Period.from_index(index)
    try:
        law.fund_rates("voluntary", month)
        law.parameter("rural_poverty_line", month)
    except ValidationError:  # NoRuleInForce
        return False
    return True


@cache
def support_limit_at(index: int) -> int:
    """Months of state support to voluntary SI the law allows (0 before the tables)."""
    try:
        return int(law.parameter("voluntary_support_months", Period.from_index(index)).value)
    except ValidationError:  # NoRuleInForce: no amounts are shown then either
        return 0


def shares_at(index: int, basis: int, region: str, oa_bp: int, kind: str,
            support: str | None = None) -> tuple[Shares, Shares] | None:
    """Employer's and worker's monthly amounts per fund, as the rules compute them; None when
    the law tables do not reach back to the month or the basis is outside what the law allows."""
    try:
        check_money(basis, "salary")
        if kind == "voluntary":
            return voluntary_shares_at(index, basis, support)
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
def voluntary_shares_at(index: int, income: int, support: str | None
                      ) -> tuple[Shares, Shares] | None:
    """What the participant pays (the state's support taken off) and the employer's nothing."""
    try:
        result = voluntary_dues(month=Period.from_index(index), salary=income, support=support)
    except ValidationError:  # before the tables, or an income outside the law's range
        return None
    return result.employer.as_dict(), result.employee.as_dict()
