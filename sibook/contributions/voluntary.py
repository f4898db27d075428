"""What a voluntary participant's payments pay (đóng BHXH tự nguyện). Pure: no I/O.

The participant may pay monthly, every 3, 6 or 12 months, or for several years at once (Law
41/2024/QH15 Art 36(2); FACTS §3.4). Whatever the method, the money goes to the months in
order, so a payment is not tied to months when it is posted: what it pays is computed here.
The payments, in the order they were paid, pay the voluntary months oldest first, each month
costing what the participant pays for it (22% of the declared income less the state's
support, as the book's sheet rows show it). A voluntary month counts toward the time of SI only
when it is paid in full; what is left over is credit, which pays the next months as they come.

A month the law tables cannot price takes no money: before the tables begin it stands as the
record shows it ("reported", like a compulsory month the ledger has not assessed); within them
(an income outside the law's range for that month) it cannot be paid at that income and stays
unpaid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sibook.core.period import Period

Status = Literal["paid", "partly_paid", "unpaid", "reported"]
COUNTED: tuple[Status, ...] = ("paid", "reported")  # in the time of SI
UNPAID: tuple[Status, ...] = ("unpaid", "partly_paid")
# How far ahead of the month it is asked in a voluntary participation may start: so a
# participant joined at most this many months before their first voluntary month.
VOLUNTARY_START_AHEAD = 12  # months


@dataclass(frozen=True)
class Charge:
    """What one voluntary month costs the participant."""

    month: Period
    basis: int  # the declared monthly income
    share: Mapping[str, int] | None  # per fund and "total"; None: the law tables do not price it
    before_rules: bool = False  # unpriced because the tables do not reach back to the month
    support: str | None = None  # the state's support group the month had

    @property
    def due(self) -> int | None:
        return None if self.share is None else self.share["total"]


@dataclass(frozen=True)
class Payment:
    number: int  # the person's payments in the order they were recorded
    amount: int
    reference: str
    paid_on: date


@dataclass(frozen=True)
class MonthPaid:
    charge: Charge
    paid: int
    status: Status
    price: int | None = None  # what it cost as paid (ahead: the price of the month paid in)

    @property
    def month(self) -> Period:
        return self.charge.month

    @property
    def due(self) -> int | None:
        return self.charge.due if self.price is None else self.price


@dataclass(frozen=True)
class Account:
    """The months and what paid them; ``allocations`` are (payment number, month, amount)."""

    months: tuple[MonthPaid, ...]
    payments: tuple[Payment, ...]
    allocations: tuple[tuple[int, Period, int], ...]
    credit: int

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    def unpaid(self) -> list[MonthPaid]:
        return [m for m in self.months if m.status in UNPAID]

    def allocated_by(self, number: int) -> list[tuple[Period, int]]:
        return [(month, amount) for n, month, amount in self.allocations if n == number]


PriceAt = Callable[[Charge, Period], int | None]


def allocate(charges: Sequence[Charge], payments: Sequence[Payment], as_of: date, *,
             price_at: PriceAt | None = None) -> Account:
    """The payments made by ``as_of``, in the order paid, applied to ``charges`` oldest first.
    A month the first payment into it paid ahead (in an earlier month) costs ``price_at`` that
    month: the price it had when it was paid for."""
    made = sorted((p for p in payments if p.paid_on <= as_of),
                  key=lambda p: (p.paid_on, p.number))
    left = [(p, p.amount) for p in made]  # each payment with what it has not paid yet
    allocations: list[tuple[int, Period, int]] = []
    months: list[MonthPaid] = []
    for charge in sorted(charges, key=lambda c: c.month):
        due, paid = charge.due, 0
        if left and price_at is not None and not charge.before_rules:
            due = price_at(charge, Period.of(left[0][0].paid_on))
        while due is not None and paid < due and left:
            payment, rest = left[0]
            take = min(due - paid, rest)
            allocations.append((payment.number, charge.month, take))
            paid += take
            if take == rest:
                left.pop(0)
            else:
                left[0] = (payment, rest - take)
        months.append(MonthPaid(charge, paid, _status(charge, due, paid),
                                None if due == charge.due else due))
    return Account(tuple(months), tuple(made), tuple(allocations), sum(rest for _, rest in left))


def _status(charge: Charge, due: int | None, paid: int) -> Status:
    if due is None:
        return "reported" if charge.before_rules else "unpaid"
    if paid >= due:
        return "paid"
    return "partly_paid" if paid > 0 else "unpaid"


def ended_at(first: int, last: Period | None) -> int | None:
    """The last month (index) of a voluntary period from month index ``first`` that ends at
    ``last``, its last month paid; None when it never began (nothing paid, or only an earlier
    period's months): it is removed, not ended."""
    return None if last is None or last.index < first else last.index
