"""What a voluntary participant owes for each month of their voluntary lines, and what their
payments pay of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sibook.book.amounts import voluntary_rules_at, voluntary_shares_at
from sibook.book.assemble import Line
from sibook.contributions.voluntary import Account, Charge, Payment, allocate
from sibook.core.period import Period


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
    shares = voluntary_shares_at(paid_in.index, charge.basis, charge.support)
    return shares[1]["total"] if shares else charge.due


def charges_of(lines: Sequence[Line], *, priced_only: bool = False) -> list[Charge]:
    """Each month of the voluntary lines with what the participant pays for it: the line's
    share, the state's support already taken off within the months the law allows."""
    out: list[Charge] = []
    for line in lines:
        if line.kind != "voluntary":
            continue
        if priced_only and line.employee_share is None and \
                not voluntary_rules_at(line.to_month.index):  # lines are cut at 2020-01
            continue
        for index in range(line.from_month.index, line.to_month.index + 1):
            before = line.employee_share is None and not voluntary_rules_at(index)
            out.append(Charge(Period.from_index(index), line.salary_basis, line.employee_share,
                              before_rules=before, support=line.support))
    return out
