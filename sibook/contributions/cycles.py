"""An employer's payment method (phương thức đóng): monthly, or once every 3 or 6 months.

Who may: a worker paid by product or piece-rate (theo sản phẩm, theo khoán) at an enterprise,
cooperative group, cooperative, union of cooperatives or household business in agriculture,
forestry, fishery or salt-making pays "monthly, every 03 months or every 06 months" (Law
41/2024/QH15 Art 33(1)(b); before 1 July 2025 the same choice under Decision 595/QD-BHXH Art 7,
as amended by Decision 505/QD-BHXH of 2020; FACTS §3.5). The employer's deadline is the last
day of the month after the month (monthly) or "after the payment cycle" (Art 34(4)(a), (b)),
and late payment and evasion count from that day (Arts 38(1), 39(1)(đ)). Text read in a
full copy of the law (github.com/teije05-art/clone-pjj-tax-legal-22dec,
data/tax_legal/tax_database/10_Natural_Resources_SHUI/Documents/Doc_Undated_Luat_Bao_hiem.md),
not the official gazette.

Provisional, the project's reading: neither the law nor the sources found say how the cycles
line up (calendar quarters, or from the month the method was registered), so they are counted
from the month the method took effect, as stored; a change of method ends the running cycle
with the month before it. The registry does not know a unit's sector or how it pays its workers
(``business_type`` is free text), so sibook records the method the agency accepted and does not
judge eligibility.

A method is kept as dated rows (``PaymentCycle``: from a month on, until the next row); no row
means monthly, as every unit was before methods were recorded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.contributions.store import PaymentCycle
from sibook.core.period import Period


@dataclass(frozen=True)
class PaymentCycles:
    """An employer's methods over time: ``changes`` = (from month, months per cycle), ascending."""

    changes: tuple[tuple[Period, int], ...] = ()

    def cycle_end(self, month: Period) -> Period:
        """The last month of the cycle ``month`` is paid in (``month`` itself when monthly)."""
        starts = [start for start, _ in self.changes]
        at = bisect_right(starts, month) - 1
        if at < 0 or self.changes[at][1] == 1:
            return month
        start, months = self.changes[at]
        end = start + ((month - start) // months + 1) * months - 1
        if at + 1 < len(starts) and starts[at + 1] <= end:
            return starts[at + 1] - 1  # cut short by the next method
        return end


MONTHLY = PaymentCycles()


def cycles_of(conn: Connection, employer_ids: Iterable[int]) -> dict[int, PaymentCycles]:
    """The employers' methods over time, one read for all; an employer without rows pays
    monthly (absent here: callers default to ``MONTHLY``)."""
    ids = sorted(set(employer_ids))
    if not ids:
        return {}
    found: dict[int, list[tuple[Period, int]]] = {}
    for employer_id, from_month, months in conn.execute(
        select(PaymentCycle.employer_id, PaymentCycle.from_month, PaymentCycle.months)
        .where(PaymentCycle.employer_id.in_(ids))
        .order_by(PaymentCycle.employer_id, PaymentCycle.from_month)
    ):
        found.setdefault(employer_id, []).append((Period.from_index(from_month), months))
    return {e: PaymentCycles(tuple(changes)) for e, changes in found.items()}


def cycles_for(conn: Connection, employer_id: int) -> PaymentCycles:
    """One employer's methods over time (``MONTHLY`` when none is recorded)."""
    return cycles_of(conn, [employer_id]).get(employer_id, MONTHLY)


def recorded_from(conn: Connection, employer_id: int, from_month: Period) -> int | None:
    """The months per cycle recorded from ``from_month`` itself (None: no method set from it)."""
    return conn.execute(select(PaymentCycle.months).where(
        PaymentCycle.employer_id == employer_id,
        PaymentCycle.from_month == from_month.index)).scalar_one_or_none()


def set_payment_cycle(*, session: Session, employer_id: int, cycle: str,
                      from_month: Period) -> None:
    """The employer pays by ``cycle`` (a word of ``PAYMENT_CYCLES``, checked by the caller)
    from ``from_month`` on, a method already recorded from that month replaced; the months
    before keep the method they had."""
    months = PAYMENT_CYCLES[cycle]
    session.execute(delete(PaymentCycle).where(PaymentCycle.employer_id == employer_id,
                                               PaymentCycle.from_month == from_month.index))
    session.add(PaymentCycle(employer_id=employer_id, from_month=from_month.index, months=months))
    session.flush()
