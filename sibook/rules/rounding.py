"""Rounding to whole dong so that parts add up to their rounded whole.

A payer's amount is rounded once (half up, :func:`sibook.core.money.round_vnd`). Its per-fund
lines are then apportioned by the largest-remainder method: each line gets the floor of its exact
amount and the dong left over go one each to the lines with the largest fractions (ties: fund
order). So the lines always sum to the payer's rounded amount and each line is off its exact
amount by less than 1 dong.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TypeVar

from sibook.core.money import round_vnd

K = TypeVar("K")


def apportion(exact: dict[K, Decimal]) -> dict[K, int]:
    """Whole-dong lines summing to ``round_vnd(sum(exact))``; order of ``exact`` breaks ties."""
    total = round_vnd(sum(exact.values(), Decimal(0)))
    floors = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(floors.values())
    order = sorted(exact, key=lambda k: exact[k] - floors[k], reverse=True)
    for k in order[:left]:
        floors[k] += 1
    return floors
