"""Money is an integer number of VND. Rounding happens once, here, the way the law implies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

VND = int


def round_vnd(amount: Decimal | int) -> VND:
    """Round to whole dong, half away from zero (the agency's practice on notices)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: VND, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount`` as an exact Decimal; callers round once at the end."""
    return Decimal(amount) * percent / Decimal(100)
