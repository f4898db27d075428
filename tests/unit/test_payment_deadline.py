"""A month's payment deadline is the rule in force for that month: the last day of the month
itself to 2025-06 (Decision 595/QD-BHXH Art 7(1)), the last day of the month after from 2025-07
(Law 41/2024/QH15 Art 34(4)(a); sources in parameters.csv); for a unit paying every 3 or 6
months, of the last month of its cycle (Art 34(4)(b); ``contributions.cycles``)."""

from __future__ import annotations

from datetime import date

import pytest

from sibook.contributions.cycles import PaymentCycles
from sibook.contributions.floor import evasion_from
from sibook.contributions.statement import deadline_of
from sibook.core.period import Period


@pytest.mark.parametrize(("month", "deadline"), [
    (Period(2025, 5), date(2025, 5, 31)),
    (Period(2025, 6), date(2025, 6, 30)),  # the last month under Decision 595: its own end
    (Period(2025, 7), date(2025, 8, 31)),  # the first under the 2024 Law: the next month's end
    (Period(2025, 12), date(2026, 1, 31)),  # across a year end
    (Period(2026, 1), date(2026, 2, 28)),
    (Period(2028, 1), date(2028, 2, 29)),  # the next month is February of a leap year
])
def test_a_months_deadline_follows_the_rule_in_force_for_that_month(
        month: Period, deadline: date) -> None:
    assert deadline_of(month) == deadline


# A unit paying every 3 months from January 2026 (Law 41/2024 Art 34(4)(b)): each cycle falls
# due on the last day of the month after it, cycles counted from the month the method began.
QUARTERLY_FROM_JANUARY = PaymentCycles(((Period(2026, 1), 3),))


@pytest.mark.parametrize(("month", "deadline"), [
    (Period(2025, 12), date(2026, 1, 31)),  # before the method: monthly
    (Period(2026, 1), date(2026, 4, 30)),  # the first cycle, January to March
    (Period(2026, 2), date(2026, 4, 30)),
    (Period(2026, 3), date(2026, 4, 30)),
    (Period(2026, 4), date(2026, 7, 31)),  # the second, April to June
    (Period(2026, 12), date(2027, 1, 31)),  # the fourth ends the year
])
def test_a_3_monthly_payers_months_fall_due_the_month_after_their_cycle(
        month: Period, deadline: date) -> None:
    assert deadline_of(month, QUARTERLY_FROM_JANUARY) == deadline


def test_cycles_count_from_the_month_the_method_began_not_calendar_quarters() -> None:
    from_february = PaymentCycles(((Period(2026, 2), 3),))
    assert deadline_of(Period(2026, 4), from_february) == date(2026, 5, 31)  # February-April
    assert deadline_of(Period(2026, 5), from_february) == date(2026, 8, 31)  # May-July


def test_a_6_monthly_payers_first_half_falls_due_at_the_end_of_july() -> None:
    half_yearly = PaymentCycles(((Period(2026, 1), 6),))
    assert {deadline_of(Period(2026, m), half_yearly) for m in range(1, 7)} == {
        date(2026, 7, 31)}
    assert deadline_of(Period(2026, 7), half_yearly) == date(2027, 1, 31)


def test_a_change_of_method_ends_the_running_cycle_with_the_month_before_it() -> None:
    back_to_monthly = PaymentCycles(((Period(2026, 1), 3), (Period(2026, 3), 1)))
    # January-February are the cut cycle, due at the end of March; March is monthly.
    assert deadline_of(Period(2026, 1), back_to_monthly) == date(2026, 3, 31)
    assert deadline_of(Period(2026, 2), back_to_monthly) == date(2026, 3, 31)
    assert deadline_of(Period(2026, 3), back_to_monthly) == date(2026, 4, 30)


def test_before_the_2024_law_a_cycle_fell_due_on_its_own_last_day() -> None:
    """Decision 595/QD-BHXH Art 7: the deadline was the cycle's last day, not the month after."""
    from_january_2025 = PaymentCycles(((Period(2025, 1), 3),))
    assert deadline_of(Period(2025, 1), from_january_2025) == date(2025, 3, 31)


def test_a_cycle_payers_low_declaration_is_evasion_from_the_month_after_its_cycle() -> None:
    """FACTS §3.7: 3/6-month payers from the last day of the month after the cycle."""
    assert evasion_from(Period(2026, 2), QUARTERLY_FROM_JANUARY) == date(2026, 4, 30)
    assert evasion_from(Period(2026, 2)) == date(2026, 3, 31)  # a monthly payer's
