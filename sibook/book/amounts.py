"""The per-fund amounts the law sets for a stretch of months, computed once a stretch.

A stored period already is one unchanged stretch (employer, job, basis); only the law can change
the amounts inside it. So a period is cut at the months where any law table changes (its
"epochs") and the dues are computed once per piece, not once per month: a 30-year history takes
tens of calculations, not hundreds. A compulsory period is cut more coarsely still, only where
its worker's caps or rates change the amounts at its basis (``compulsory_amounts``).
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
from sibook.rules.inputs import PLAUSIBLE_MAX_VND, check_money


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
        law.book().voluntary_floor(month)
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


Amounts = tuple[Shares, Shares]  # the employer's and the worker's, per fund and "total"
# What the amounts of a compulsory month depend on: the number of the rates (``_RATES``) and
# the basis capped for SI/HI and for UI. None: the law tables do not price the month.
_AmountsKey = tuple[int, int, int] | None


def voluntary_amounts(index: int, income: int, support: str | None) -> Amounts | None:
    """What a voluntary participant pays in the epoch starting at month ``index`` (the state's
    support taken off) and the employer's nothing; None when the law tables do not reach back
    to the month or the income is outside what the law allows."""
    try:
        check_money(income, "salary")
    except ValidationError:
        return None
    return voluntary_shares_at(index, income, support)


def compulsory_amounts(start: int, end: int, basis: int, region: str, oa_bp: int, kind: str
                       ) -> list[tuple[int, int, Amounts | None]]:
    """Months ``start..end`` of a compulsory or foreign worker's period, cut where the amounts
    at ``basis`` may change, each run with the employer's and worker's monthly amounts per fund
    as the rules compute them; None where the law tables do not reach back to the months or
    the basis is outside what the law allows. Two runs in a row may have equal amounts (their
    keys differ): whoever merges them compares the amounts.

    Not once per law epoch (``pieces``): an epoch changes one table, often neither the caps nor
    the rates of this kind of worker (``_compulsory_terms`` merges those epochs), and a new cap
    above the basis leaves the capped basis, hence the amounts, as they were. So a 30-year
    career at one salary is a few runs, each looked up once, not forty pieces."""
    try:
        check_money(basis, "salary")
    except ValidationError:
        return [(start, end, None)]
    starts, terms = _compulsory_terms(region, oa_bp, kind)
    runs: list[tuple[int, int, Amounts | None]] = []
    key: _AmountsKey = None
    for i in range(bisect_right(starts, start) - 1, len(starts)):
        if starts[i] > end:
            break
        # Inline, not a function: this runs for every period of every book issued.
        in_force = terms[i]
        changed = None if in_force is None else (
            in_force[0], min(basis, in_force[1]), min(basis, in_force[2]))
        if starts[i] <= start:  # the run's first terms
            key = changed
        elif changed != key:
            runs.append((start, starts[i] - 1, None if key is None else _shares_under(*key)))
            start, key = starts[i], changed
    runs.append((start, end, None if key is None else _shares_under(*key)))
    return runs


@cache
def _compulsory_terms(region: str, oa_bp: int, kind: str
                      ) -> tuple[tuple[int, ...], tuple[tuple[int, int, int] | None, ...]]:
    """The months (``Period.index``) where the caps or rates of this kind of worker change, the
    first 0 (before the tables), and from each the number of the rates in force, the SI/HI cap
    and the UI cap (None: the tables do not reach back so far); the law's epochs where these
    stay the same are merged. A month with no cap has ``PLAUSIBLE_MAX_VND`` for it: a basis
    ``check_money`` let through is never above it, so ``min`` leaves the basis whole, as
    ``capped`` with no cap does."""
    epochs = _epoch_indices()
    starts: list[int] = []
    terms: list[tuple[int, int, int] | None] = []
    for start, epoch in ((0, epochs[0] - 1), *((e, e) for e in epochs)):
        found = _terms_at(epoch, region, oa_bp, kind)
        in_force = None if found is None else (
            found[2], capped(PLAUSIBLE_MAX_VND, found[0]), capped(PLAUSIBLE_MAX_VND, found[1]))
        if not terms or in_force != terms[-1]:
            starts.append(start)
            terms.append(in_force)
    return tuple(starts), tuple(terms)


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
