"""A month's payment deadline is the rule in force for that month: the last day of the month
itself to 2025-06 (Decision 595/QD-BHXH Art 7(1)), the last day of the month after from 2025-07
(Law 41/2024/QH15 Art 34(4)(a); sources in parameters.csv)."""

from __future__ import annotations

from datetime import date

import pytest

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
