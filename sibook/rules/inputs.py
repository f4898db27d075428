"""Checks on raw inputs shared by the calculators: a refusal names the field and the valid range."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sibook.core.errors import ValidationError
from sibook.law import NoRuleInForce

# Not a law value: a sanity bound that catches a salary typed with extra zeros (10 billion VND a
# month is far above any real SI basis; the law's caps apply after this check).
PLAUSIBLE_MAX_VND = 10_000_000_000
# The same for an amount owed by a whole employer (late interest): a unit of 100,000 workers owes
# hundreds of billions a month; 10^15 VND is above the country's yearly SI revenue, and exact in
# a JSON number (below 2^53).
PLAUSIBLE_MAX_DUES = 10**15
PLAUSIBLE_MAX_MONTHS = 12 * 80
PLAUSIBLE_MAX_DAYS = 3_650


def check_range(value: int | Decimal, field: str, *, low: int, high: int,
                unit: str = "") -> None:
    """Refuse ``value`` outside ``low..high`` (inclusive), naming the field and the range."""
    if isinstance(value, Decimal) and not value.is_finite():  # NaN cannot even be compared
        raise ValidationError(field=field, reason=f"must be a number, got {value}")
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        # A whole number said as typed: --days -1 (read as a float for part days) got -1, not -1.0.
        shown = int(value) if value == int(value) else value
        raise ValidationError(
            field=field, reason=f"must be between {low:,} and {high:,}{suffix}, got {shown:,}")


def check_money(value: int, field: str, *, low: int = 1) -> None:
    check_range(value, field, low=low, high=PLAUSIBLE_MAX_VND, unit="VND")


def check_months(value: int, field: str, *, low: int = 0) -> None:
    check_range(value, field, low=low, high=PLAUSIBLE_MAX_MONTHS, unit="months")


@contextmanager
def as_field(field: str) -> Iterator[None]:
    """Report a law-table gap against the input that picked the month (e.g. ``termination``)."""
    try:
        yield
    except NoRuleInForce as gap:
        raise NoRuleInForce(table=gap.table, key=gap.key, on=gap.on, first=gap.first,
                            field_name=field, reason=gap.problems[0].reason) from None
